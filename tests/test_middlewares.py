"""walnats.middlewares: logging, Prometheus and OpenTelemetry on every hook path."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any, cast

import pytest
from nats.aio.msg import Msg
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import CollectorRegistry

import walnats
import walnats.middlewares
from tests.helpers import Order, actor_name, order_event
from walnats._middleware import HOOKS, hooks_of
from walnats.middlewares import LogMiddleware, OpenTelemetryMiddleware, PrometheusMiddleware
from walnats.testing import unique_name

# ---------------------------------------------------------------- scenario


class Run:
    """What one emit-and-handle scenario produced."""

    def __init__(self, event: walnats.Event[Order], actor: str, msg_id: str) -> None:
        self.event = event
        self.actor = actor
        self.msg_id = msg_id


async def scenario(
    url: str,
    middleware: object,
    *,
    outcome: str = "ok",
    headers: dict[str, str] | None = None,
    handler: Any = None,
) -> Run:
    """Emit one event (or publish garbage) and handle it once, with *middleware* on both sides.

    *outcome* is ``ok``, ``error`` (the handler raises ``ValueError``) or ``undecodable``.
    """
    event = order_event()
    name = actor_name()
    async with walnats.Events(event).connect(url, middlewares=[middleware]) as pub:
        await pub.register()
        if outcome == "undecodable":
            msg_id = unique_name("garbage")
            await pub.jetstream.publish(
                event.name, b"not json", headers={"Nats-Msg-Id": msg_id, **(headers or {})}
            )
        else:
            msg_id = (await pub.emit(event, Order(7))).msg_id

    async def handle(order: Order) -> None:
        if outcome == "error":
            raise ValueError(f"no stock for {order.id}")

    actor = walnats.Actor(name, event, handler or handle, retry=walnats.RetryPolicy(max_attempts=1))
    async with walnats.Actors(actor).connect(url) as conn:
        await conn.register()
        await asyncio.wait_for(conn.listen(burst=True, middlewares=[middleware]), 30)
    return Run(event, name, msg_id)


def fake_context(message: Any = None, headers: dict[str, str] | None = None, seq: int = 5) -> Any:
    """A Context as the runner builds it, for calling hooks directly."""
    reply = f"$JS.ACK.orders.send-email.1.{seq}.{seq}.1700000000000000000.3"
    headers = {"Nats-Msg-Id": "e-1", **(headers or {})}
    msg = Msg(cast("Any", None), subject="orders", reply=reply, headers=headers)
    return walnats.Context("send-email", "orders", msg, message)


def test_exports__all_matches_public_names() -> None:
    """walnats.middlewares exports exactly its __all__."""
    mod = walnats.middlewares
    public = {name for name in vars(mod) if not name.startswith("_")}
    assert set(mod.__all__) == public
    for name in mod.__all__:
        assert issubclass(getattr(mod, name), walnats.Middleware)


def test_hooks__only_the_needed_ones_are_installed() -> None:
    """Hooks a middleware does not define are never called, so they cost nothing."""
    registry = CollectorRegistry()
    defined = {
        type(mw).__name__: [hook for hook in HOOKS if hooks_of((mw,), hook)]
        for mw in (LogMiddleware(), PrometheusMiddleware(registry), OpenTelemetryMiddleware())
    }
    assert defined == {
        "LogMiddleware": ["on_emit", "on_success", "on_failure"],
        "PrometheusMiddleware": list(HOOKS),
        "OpenTelemetryMiddleware": list(HOOKS),
    }


# ---------------------------------------------------------------- LogMiddleware


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> logging.Logger:
    """A private logger whose records the test sees."""
    logger = logging.getLogger(unique_name("test.log"))
    caplog.set_level(logging.DEBUG, logger=logger.name)
    return logger


def records_of(caplog: pytest.LogCaptureFixture, logger: logging.Logger) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger.name]


async def test_log__success_and_emit_records(
    nats_url: str, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    """One record on emit and one per handled event, with the fields in extra."""
    logger = log
    run = await scenario(nats_url, LogMiddleware(logger))
    emitted, handled = records_of(caplog, logger)
    assert emitted.levelno == logging.DEBUG
    assert emitted.outcome == "emit"  # type: ignore[attr-defined]
    assert emitted.event_name == run.event.name  # type: ignore[attr-defined]
    assert emitted.event_id == run.msg_id  # type: ignore[attr-defined]
    assert emitted.getMessage() == f"emit {run.event.name} {run.msg_id} to {run.event.name}"
    fields = {k: getattr(handled, k) for k in ("actor", "event_name", "event_id", "attempt")}
    assert fields == {
        "actor": run.actor,
        "event_name": run.event.name,
        "event_id": run.msg_id,
        "attempt": 1,
    }
    assert handled.outcome == "ok"  # type: ignore[attr-defined]
    assert handled.error is None  # type: ignore[attr-defined]
    assert handled.sequence == 1  # type: ignore[attr-defined]
    assert handled.duration >= 0  # type: ignore[attr-defined]
    assert handled.getMessage().startswith(f"{run.actor} handled {run.event.name} {run.msg_id} in ")


async def test_log__failure_record(
    nats_url: str, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed job is one record at failure_level with the exception type."""
    logger = log
    run = await scenario(nats_url, LogMiddleware(logger), outcome="error")
    (_, failed) = records_of(caplog, logger)
    assert failed.levelno == logging.WARNING
    assert failed.outcome == "error"  # type: ignore[attr-defined]
    assert failed.error == "ValueError"  # type: ignore[attr-defined]
    assert failed.duration is None  # type: ignore[attr-defined]
    assert failed.getMessage() == (
        f"{run.actor} failed on {run.event.name} {run.msg_id}: "
        f"ValueError: no stock for 7 (attempt 1, seq 1)"
    )


async def test_log__decode_failure_json(
    nats_url: str, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    """An undecodable payload is logged as DecodeError; json=True puts the fields in the message."""
    logger = log
    run = await scenario(nats_url, LogMiddleware(logger, json=True), outcome="undecodable")
    (failed,) = records_of(caplog, logger)  # a raw publish runs no emit hook
    assert json.loads(failed.getMessage()) == {
        "actor": run.actor,
        "event_name": run.event.name,
        "event_id": run.msg_id,
        "subject": run.event.name,
        "attempt": 1,
        "sequence": 1,
        "duration": None,
        "outcome": "error",
        "error": "DecodeError",
    }


async def test_log__disabled_level_logs_nothing(
    log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    """Below the logger's level the hooks return without logging."""
    logger = log
    logger.setLevel(logging.ERROR)
    mw = LogMiddleware(logger, level=logging.INFO, failure_level=logging.WARNING)
    await mw.on_emit(walnats.EmitContext("orders", "orders", Order(1), "e-1"))
    ctx = fake_context(Order(1))
    await mw.on_success(walnats.OkContext(ctx, 0.1, None))
    await mw.on_failure(walnats.ErrorContext(ctx, ValueError("x")))
    assert records_of(caplog, logger) == []


async def test_log__emit_json(log: logging.Logger, caplog: pytest.LogCaptureFixture) -> None:
    """json=True emit records carry the JSON object as the message."""
    logger = log
    await LogMiddleware(logger, json=True).on_emit(
        walnats.EmitContext("orders", "orders", Order(1), "e-1")
    )
    (record,) = records_of(caplog, logger)
    assert json.loads(record.getMessage()) == {
        "event_name": "orders",
        "event_id": "e-1",
        "subject": "orders",
        "outcome": "emit",
    }


# ---------------------------------------------------------------- PrometheusMiddleware


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


async def test_prometheus__success(nats_url: str) -> None:
    """Emits, starts, successes and the duration histogram are counted per actor and event."""
    registry = CollectorRegistry()
    run = await scenario(nats_url, PrometheusMiddleware(registry))
    job = {"actor": run.actor, "event": run.event.name}
    assert sample(registry, "walnats_events_emitted_total", event=run.event.name) == 1
    assert sample(registry, "walnats_jobs_started_total", **job) == 1
    assert sample(registry, "walnats_jobs_succeeded_total", **job) == 1
    assert sample(registry, "walnats_job_duration_seconds_count", **job) == 1
    assert sample(registry, "walnats_pending_events", **job) == 0
    assert sample(registry, "walnats_jobs_failed_total", **job, error="ValueError") is None


async def test_prometheus__failure(nats_url: str) -> None:
    """A failed attempt is counted with its exception type and is not timed."""
    registry = CollectorRegistry()
    run = await scenario(nats_url, PrometheusMiddleware(registry, prefix="shop"), outcome="error")
    job = {"actor": run.actor, "event": run.event.name}
    assert sample(registry, "shop_jobs_started_total", **job) == 1
    assert sample(registry, "shop_jobs_failed_total", **job, error="ValueError") == 1
    assert sample(registry, "shop_jobs_succeeded_total", **job) == 0
    assert sample(registry, "shop_job_duration_seconds_count", **job) == 0


async def test_prometheus__decode_failure(nats_url: str) -> None:
    """An undecodable payload counts as a DecodeError failure and never as started."""
    registry = CollectorRegistry()
    run = await scenario(nats_url, PrometheusMiddleware(registry), outcome="undecodable")
    job = {"actor": run.actor, "event": run.event.name}
    assert sample(registry, "walnats_jobs_failed_total", **job, error="DecodeError") == 1
    assert sample(registry, "walnats_jobs_started_total", **job) is None
    assert sample(registry, "walnats_events_emitted_total", event=run.event.name) is None


async def test_prometheus__instances_share_collectors() -> None:
    """Two middlewares on one registry and prefix share metrics instead of clashing."""
    registry = CollectorRegistry()
    first, second = PrometheusMiddleware(registry), PrometheusMiddleware(registry)
    emit = walnats.EmitContext("orders", "orders", Order(1), "e-1")
    await first.on_emit(emit)
    await second.on_emit(emit)
    await first.on_emit(emit)
    assert sample(registry, "walnats_events_emitted_total", event="orders") == 3


def test_prometheus__missing_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without prometheus_client the error is the command that installs it."""
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'walnats\[prometheus\]'$"):
        PrometheusMiddleware(CollectorRegistry())


def test_opentelemetry__missing_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without opentelemetry-api the error is the command that installs it."""
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'walnats\[opentelemetry\]'$"):
        OpenTelemetryMiddleware()


# ---------------------------------------------------------------- OpenTelemetryMiddleware


@pytest.fixture
def spans() -> Iterator[tuple[trace.Tracer, InMemorySpanExporter]]:
    """A tracer recording finished spans in memory (the global provider is left alone)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("test"), exporter
    provider.shutdown()


def by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    return {span.name: span for span in exporter.get_finished_spans()}


async def test_otel__emit_then_handle_is_one_trace(nats_url: str, spans: Any) -> None:
    """The consumer span is a child of the producer span, across NATS headers."""
    tracer, exporter = spans
    seen: dict[str, str] = {}

    async def handle(order: Order, ctx: walnats.Context[Order]) -> None:
        seen.update(ctx.headers)
        with tracer.start_as_current_span("charge card"):
            pass

    run = await scenario(nats_url, OpenTelemetryMiddleware(tracer), handler=handle)
    found = by_name(exporter)
    producer = found[f"{run.event.name} publish"]
    consumer = found[f"{run.event.name} process"]
    inner = found["charge card"]
    assert producer.kind is SpanKind.PRODUCER
    assert consumer.kind is SpanKind.CONSUMER
    assert producer.context is not None
    assert consumer.context is not None
    assert consumer.parent is not None
    assert consumer.parent.span_id == producer.context.span_id
    assert consumer.context.trace_id == producer.context.trace_id
    assert inner.parent is not None
    assert inner.parent.span_id == consumer.context.span_id  # the handler's span nests
    assert seen["traceparent"].split("-")[1] == f"{producer.context.trace_id:032x}"
    assert dict(consumer.attributes or {}) == {
        "messaging.system": "nats",
        "messaging.destination.name": run.event.name,
        "messaging.message.id": run.msg_id,
        "messaging.consumer.group.name": run.actor,
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "walnats.attempt": 1,
        "walnats.stream.sequence": 1,
    }
    assert (producer.attributes or {})["messaging.message.id"] == run.msg_id
    assert consumer.status.status_code is StatusCode.UNSET


async def test_otel__emit_inside_a_span_continues_its_trace(spans: Any) -> None:
    """An emit under an active span is its child, and the headers carry that trace."""
    tracer, exporter = spans
    ctx = walnats.EmitContext("orders", "orders", Order(1), "e-1")
    with tracer.start_as_current_span("checkout") as outer:
        await OpenTelemetryMiddleware(tracer).on_emit(ctx)
    producer = by_name(exporter)["orders publish"]
    assert producer.parent is not None
    assert producer.parent.span_id == outer.get_span_context().span_id
    trace_id = f"{outer.get_span_context().trace_id:032x}"
    assert ctx.headers["traceparent"].split("-")[1] == trace_id


async def test_otel__failure_records_exception(nats_url: str, spans: Any) -> None:
    """A failing handler ends its span with an error status and the exception recorded."""
    tracer, exporter = spans
    run = await scenario(nats_url, OpenTelemetryMiddleware(tracer), outcome="error")
    consumer = by_name(exporter)[f"{run.event.name} process"]
    assert consumer.status.status_code is StatusCode.ERROR
    assert consumer.status.description == "ValueError: no stock for 7"
    assert (consumer.attributes or {})["error.type"] == "ValueError"
    (exception,) = consumer.events
    assert exception.name == "exception"
    assert (exception.attributes or {})["exception.type"] == "ValueError"


async def test_otel__decode_failure_gets_a_span(nats_url: str, spans: Any) -> None:
    """An undecodable event gets an error span, parented from headers in any letter case."""
    tracer, exporter = spans
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    run = await scenario(
        nats_url,
        OpenTelemetryMiddleware(tracer),
        outcome="undecodable",
        headers={"Traceparent": parent},
    )
    (consumer,) = exporter.get_finished_spans()
    assert consumer.name == f"{run.event.name} process"
    assert consumer.status.status_code is StatusCode.ERROR
    assert (consumer.attributes or {})["error.type"] == "DecodeError"
    assert consumer.parent is not None
    assert consumer.parent.span_id == 0xB7AD6B7169203331
    assert consumer.parent.is_remote


async def test_otel__hooks_leave_no_context_behind(spans: Any) -> None:
    """After on_success or on_failure the task's current span is what it was before."""
    tracer, exporter = spans
    mw = OpenTelemetryMiddleware(tracer)
    before = otel_context.get_current()
    ctx = fake_context(Order(1))
    await mw.on_start(ctx)
    assert trace.get_current_span().get_span_context().is_valid
    await mw.on_success(walnats.OkContext(ctx, 0.1, None))
    assert otel_context.get_current() == before
    await mw.on_start(ctx)
    await mw.on_failure(walnats.ErrorContext(ctx, ValueError("x")))
    assert otel_context.get_current() == before
    assert len(exporter.get_finished_spans()) == 2


async def test_otel__abandoned_job_is_ended_by_the_next(spans: Any) -> None:
    """A job that never finished (another hook raised) is ended when the next one starts."""
    tracer, exporter = spans
    mw = OpenTelemetryMiddleware(tracer)
    before = otel_context.get_current()
    first, second = fake_context(Order(1), seq=1), fake_context(Order(2), seq=2)
    await mw.on_start(first)
    await mw.on_start(second)
    (abandoned,) = exporter.get_finished_spans()
    assert abandoned.status.status_code is StatusCode.ERROR
    assert "abandoned" in (abandoned.status.description or "")
    await mw.on_success(walnats.OkContext(second, 0.1, None))
    assert otel_context.get_current() == before
    finished = exporter.get_finished_spans()
    assert [s.status.status_code for s in finished] == [StatusCode.ERROR, StatusCode.UNSET]
    assert finished[1].parent is None  # not a child of the abandoned span


@pytest.mark.parametrize("reverse", [False, True])
async def test_otel__two_instances_unwind_cleanly(spans: Any, reverse: bool) -> None:
    """A global and an actor's own middleware end their spans and restore the context,
    whether they finish in start order (as walnats calls them) or in reverse."""
    tracer, exporter = spans
    first, second = OpenTelemetryMiddleware(tracer), OpenTelemetryMiddleware(tracer)
    before = otel_context.get_current()
    ctx = fake_context(Order(1))
    await first.on_start(ctx)
    await second.on_start(ctx)
    ok = walnats.OkContext(ctx, 0.1, None)
    for mw in (second, first) if reverse else (first, second):
        await mw.on_success(ok)
    assert otel_context.get_current() == before
    finished = exporter.get_finished_spans()
    assert [s.status.status_code for s in finished] == [StatusCode.UNSET, StatusCode.UNSET]
