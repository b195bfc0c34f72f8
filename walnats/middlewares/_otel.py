"""OpenTelemetry tracing across emit and handle, with W3C trace context in NATS headers."""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any

from .._middleware import Middleware

if TYPE_CHECKING:
    from opentelemetry.context import Context as OtelContext
    from opentelemetry.propagators.textmap import Getter
    from opentelemetry.trace import Span, Tracer

    from .._context import Context, EmitContext, ErrorContext, OkContext

__all__ = ["OpenTelemetryMiddleware"]

_INSTALL_HINT = (
    "OpenTelemetryMiddleware needs opentelemetry-api: pip install 'walnats[opentelemetry]'"
)


class _Job:
    """An open consumer span, made current in the task that runs the job."""

    __slots__ = ("done", "key", "owner", "span", "token")

    def __init__(self, owner: object, key: object, span: Span, token: Token[OtelContext]) -> None:
        self.owner = owner
        self.key = key
        self.span = span
        self.token = token
        self.done = False


_jobs: ContextVar[tuple[_Job, ...]] = ContextVar("walnats-otel-jobs", default=())
"""The open spans of the current task, innermost last.

Shared by all instances: two tracing middlewares (a global one and an actor's own)
finish in the order they started, not in reverse, so contexts are detached only once
every job above them has finished, as a stack must be unwound.
"""


def _job_key(ctx: Context[Any]) -> object:
    # The message a job handles is the one object shared by the Context, OkContext and
    # ErrorContext of that job; comparing it is cheaper than parsing the delivery
    # metadata, and a redelivery of the same event is another message.
    return ctx._msg


class OpenTelemetryMiddleware(Middleware):
    """Trace events from the emit to every handler, following OTel messaging conventions.

    Install it on both sides::

        tracing = walnats.middlewares.OpenTelemetryMiddleware()
        async with events.connect(middlewares=[tracing]) as pub: ...
        await actors_conn.listen(middlewares=[tracing])

    On emit it starts and ends a ``PRODUCER`` span ``<event> publish`` (a child of the
    span active at the call) and writes its context into the event's headers with the
    global propagator (W3C ``traceparent``/``tracestate`` and ``baggage`` by default).
    ``on_emit`` runs before publishing, so the span marks the emit; it does not time the
    server's acknowledgement.

    On consume it extracts that context from the message headers and opens a
    ``CONSUMER`` span ``<event> process`` for the job, with the attributes
    ``messaging.system`` (``nats``), ``messaging.destination.name`` (the subject),
    ``messaging.message.id`` (the event id), ``messaging.consumer.group.name`` (the
    actor), ``messaging.operation.type`` (``process``), ``walnats.attempt`` and
    ``walnats.stream.sequence``. The span is made current while the handler runs, so
    spans the handler starts are its children (for ``async`` handlers; thread and
    process handlers do not inherit the context). It ends on success, or on failure
    with the exception recorded and an error status. A payload that cannot be decoded
    gets a span too, ended at once with the ``DecodeError``.

    Walnats awaits a job's hooks one after the other in the task that runs the job;
    the open span lives in a context variable of that task, so nothing outlives the
    job. If a job never reaches ``on_success`` or ``on_failure`` (another middleware's
    ``on_start`` raised), its span is ended with an error status and its context
    detached when the next job in that task starts. Install it once per side: a second
    instance works, but doubles the spans.

    Args:
        tracer: the tracer to use; by default ``trace.get_tracer("walnats")`` from the
            global tracer provider (a no-op until the application configures one).

    Raises:
        ModuleNotFoundError: ``opentelemetry-api`` is not installed.
    """

    def __init__(self, tracer: Tracer | None = None) -> None:
        try:
            from opentelemetry import context, propagate, trace
        except ModuleNotFoundError:
            raise ModuleNotFoundError(_INSTALL_HINT, name="opentelemetry") from None
        from opentelemetry.trace import SpanKind, Status, StatusCode

        from .. import __version__

        self.tracer: Tracer = trace.get_tracer("walnats", __version__) if tracer is None else tracer
        """Where spans are started."""
        self._inject = propagate.inject
        self._extract = propagate.extract
        self._attach = context.attach
        self._detach = context.detach
        self._in_context = trace.set_span_in_context
        self._producer = SpanKind.PRODUCER
        self._consumer = SpanKind.CONSUMER
        self._status = Status
        self._error = StatusCode.ERROR
        self._getter = _header_getter()

    async def on_emit(self, ctx: EmitContext) -> None:
        """Start and end a producer span and inject its context into ``ctx.headers``."""
        span = self.tracer.start_span(
            f"{ctx.event} publish",
            kind=self._producer,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": ctx.subject,
                "messaging.message.id": ctx.msg_id,
                "messaging.operation.type": "send",
                "messaging.operation.name": "publish",
            },
        )
        self._inject(ctx.headers, context=self._in_context(span))
        span.end()

    async def on_start(self, ctx: Context[Any]) -> None:
        """Open the job's consumer span, a child of the emit, and make it current."""
        key = _job_key(ctx)
        stack = self._unwind_stale(key)
        parent = self._extract(ctx, getter=self._getter)
        span = self._start(ctx, parent)
        token = self._attach(self._in_context(span, parent))
        _jobs.set((*stack, _Job(self, key, span, token)))

    async def on_success(self, ctx: OkContext[Any]) -> None:
        """End the job's span."""
        job = self._take(ctx)
        if job is not None:
            job.span.end()

    async def on_failure(self, ctx: ErrorContext[Any]) -> None:
        """Record the exception on the job's span and end it with an error status."""
        job = self._take(ctx)
        if job is None:  # decoding failed: on_start never ran
            span = self._start(ctx, self._extract(ctx, getter=self._getter))
        else:
            span = job.span
        exc = ctx.exception
        span.record_exception(exc)
        span.set_attribute("error.type", type(exc).__qualname__)
        span.set_status(self._status(self._error, f"{type(exc).__name__}: {exc}"))
        span.end()

    def _start(self, ctx: Context[Any], parent: OtelContext) -> Span:
        return self.tracer.start_span(
            f"{ctx.event} process",
            context=parent,
            kind=self._consumer,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": ctx.subject,
                "messaging.message.id": ctx.event_id or "",
                "messaging.consumer.group.name": ctx.actor,
                "messaging.operation.type": "process",
                "messaging.operation.name": "process",
                "walnats.attempt": ctx.attempt,
                "walnats.stream.sequence": ctx.sequence,
            },
        )

    def _take(self, ctx: Context[Any]) -> _Job | None:
        """Close this middleware's open job of *ctx*; ``None`` if it has none."""
        key = _job_key(ctx)
        stack = self._unwind_stale(key)
        job = next((j for j in reversed(stack) if j.owner is self and not j.done), None)
        if job is None:
            return None
        job.done = True
        while stack and stack[-1].done:
            self._detach(stack[-1].token)
            stack = stack[:-1]
        _jobs.set(stack)
        return job

    def _unwind_stale(self, key: object) -> tuple[_Job, ...]:
        """End the spans of earlier jobs that never finished; return the live stack.

        One task runs one job at a time, so an entry of another job is left over from
        a job whose ``on_success``/``on_failure`` never ran (an ``on_start`` raised).
        """
        stack = _jobs.get()
        if not stack or stack[-1].key is key:
            return stack
        for job in reversed(stack):
            self._detach(job.token)
            if not job.done:
                job.span.set_status(
                    self._status(
                        self._error, "abandoned: the job ended without on_success/on_failure"
                    )
                )
                job.span.end()
        _jobs.set(())
        return ()


_getter: Getter[Context[Any]] | None = None


def _header_getter() -> Getter[Context[Any]]:
    """A propagator getter reading headers case-insensitively, as NATS requires."""
    global _getter  # noqa: PLW0603 - built once, after opentelemetry is importable
    if _getter is None:
        from opentelemetry.propagators.textmap import Getter

        class HeaderGetter(Getter["Context[Any]"]):
            def get(self, carrier: Context[Any], key: str) -> list[str] | None:
                value = carrier.header(key)
                return None if value is None else [value]

            def keys(self, carrier: Context[Any]) -> list[str]:
                return list(carrier.headers)

        _getter = HeaderGetter()
    return _getter
