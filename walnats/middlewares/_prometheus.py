"""Prometheus counters and histograms of jobs and emits."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._middleware import Middleware

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    from .._context import Context, EmitContext, ErrorContext, OkContext

__all__ = ["PrometheusMiddleware"]

_INSTALL_HINT = "PrometheusMiddleware needs prometheus_client: pip install 'walnats[prometheus]'"

DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
"""Job durations from 5 ms to 5 min: the Prometheus defaults stop at 10 s."""


class _Metrics:
    """The collectors of one (registry, prefix) pair."""

    def __init__(self, registry: CollectorRegistry, prefix: str, buckets: Sequence[float]) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        job = ("actor", "event")
        self.started: Counter = Counter(
            f"{prefix}_jobs_started",
            "Handler invocations (decode failures never start).",
            job,
            registry=registry,
        )
        self.succeeded: Counter = Counter(
            f"{prefix}_jobs_succeeded", "Jobs whose handler returned.", job, registry=registry
        )
        self.failed: Counter = Counter(
            f"{prefix}_jobs_failed",
            "Failed attempts (handler raised, timed out or the payload did not decode).",
            (*job, "error"),
            registry=registry,
        )
        self.duration: Histogram = Histogram(
            f"{prefix}_job_duration_seconds",
            "Seconds successful handlers ran.",
            job,
            buckets=buckets,
            registry=registry,
        )
        self.pending: Gauge = Gauge(
            f"{prefix}_pending_events",
            "Events waiting for the actor after the last one it started.",
            job,
            registry=registry,
        )
        self.emitted: Counter = Counter(
            f"{prefix}_events_emitted",
            "Events handed to the server.",
            ("event",),
            registry=registry,
        )


# Collectors are created once per (registry, prefix): a second middleware, e.g. one per
# actor, reuses them instead of failing with "Duplicated timeseries".
_shared: weakref.WeakKeyDictionary[Any, dict[str, _Metrics]] = weakref.WeakKeyDictionary()


class PrometheusMiddleware(Middleware):
    """Count jobs and emits and time handlers, for dashboards and alerts.

    ::

        metrics = walnats.middlewares.PrometheusMiddleware()
        prometheus_client.start_http_server(9100)
        await conn.listen(middlewares=[metrics])

    Metrics (``walnats`` is the *prefix*; counters get the ``_total`` suffix):

    - ``walnats_jobs_started_total{actor, event}``: handler invocations.
    - ``walnats_jobs_succeeded_total{actor, event}``.
    - ``walnats_jobs_failed_total{actor, event, error}``: every failed attempt, with
      the exception type; a retried job counts once per attempt. Decode failures count
      here but not as started.
    - ``walnats_job_duration_seconds{actor, event}``: histogram of successful handlers.
    - ``walnats_pending_events{actor, event}``: events queued for the actor behind the
      one just started, i.e. consumer lag; alert or autoscale on it.
    - ``walnats_events_emitted_total{event}``: events this process handed to the server
      (counted before the server's acknowledgement).

    Several middlewares with the same *registry* and *prefix* share the collectors.

    Raises:
        ModuleNotFoundError: ``prometheus_client`` is not installed.
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        prefix: str = "walnats",
        *,
        buckets: Sequence[float] = DEFAULT_BUCKETS,
    ) -> None:
        try:
            import prometheus_client
        except ModuleNotFoundError:
            raise ModuleNotFoundError(_INSTALL_HINT, name="prometheus_client") from None
        if registry is None:
            registry = prometheus_client.REGISTRY
        by_prefix = _shared.setdefault(registry, {})
        metrics = by_prefix.get(prefix)
        if metrics is None:
            metrics = by_prefix[prefix] = _Metrics(registry, prefix, buckets)
        self.registry = registry
        """The registry holding the metrics."""
        self._m = metrics
        # Children by label values: ``.labels()`` takes a lock and builds a tuple on
        # every call, which would dominate the cost of a hook.
        self._children: dict[tuple[str, str], tuple[Counter, Counter, Histogram, Gauge]] = {}
        self._failed: dict[tuple[str, str, str], Counter] = {}
        self._emitted: dict[str, Counter] = {}

    def _job(self, ctx: Context[Any]) -> tuple[Counter, Counter, Histogram, Gauge]:
        key = (ctx.actor, ctx.event)
        found = self._children.get(key)
        if found is None:
            m = self._m
            found = self._children[key] = (
                m.started.labels(*key),
                m.succeeded.labels(*key),
                m.duration.labels(*key),
                m.pending.labels(*key),
            )
        return found

    async def on_emit(self, ctx: EmitContext) -> None:
        """Count the event."""
        counter = self._emitted.get(ctx.event)
        if counter is None:
            counter = self._emitted[ctx.event] = self._m.emitted.labels(ctx.event)
        counter.inc()

    async def on_start(self, ctx: Context[Any]) -> None:
        """Count the start and record the consumer's lag."""
        started, _, _, pending = self._job(ctx)
        started.inc()
        pending.set(ctx.pending)

    async def on_success(self, ctx: OkContext[Any]) -> None:
        """Count the success and observe the duration."""
        _, succeeded, duration, _ = self._job(ctx)
        succeeded.inc()
        duration.observe(ctx.duration)

    async def on_failure(self, ctx: ErrorContext[Any]) -> None:
        """Count the failure by exception type."""
        key = (ctx.actor, ctx.event, type(ctx.exception).__name__)
        counter = self._failed.get(key)
        if counter is None:
            counter = self._failed[key] = self._m.failed.labels(*key)
        counter.inc()
