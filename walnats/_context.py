"""What a handler or middleware may know about the delivery it is processing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._cloudevents import CloudEvent, read_cloud_event
from ._errors import ConfigError
from ._headers import header_lookup

if TYPE_CHECKING:
    from collections.abc import Mapping

    from nats.aio.msg import Msg

    from ._events._ack import Emitted
    from ._events._connected import ConnectedEvents
    from ._events._event import Event

__all__ = ["Context", "EmitContext", "ErrorContext", "OkContext"]

T = TypeVar("T")
E = TypeVar("E")

MSG_ID = "Nats-Msg-Id"
EVENT_ID_HEADER = "Walnats-Event-Id"
NOT_BEFORE_HEADER = "Walnats-Not-Before"
"""On servers without message schedules: Unix time before which actors defer the event."""
CAUSATION_ID = "Walnats-Causation-Id"
TRACE_ID = "Walnats-Trace"


class Context(Generic[T]):
    """Delivery metadata of one message, handed to handlers that ask for it.

    Declare a second handler parameter to receive it::

        async def send_email(order: OrderPlaced, ctx: walnats.Context[OrderPlaced]) -> None:
            if ctx.attempt > 1: ...

    The JetStream metadata is parsed only when a property is read.
    """

    __slots__ = ("__dict__", "_emitter", "_msg", "actor", "event", "message")

    def __init__(
        self,
        actor: str,
        event: str,
        msg: Msg,
        message: T | None,
        emitter: ConnectedEvents | None = None,
    ) -> None:
        self.actor = actor
        """Name of the actor (consumer) handling the message."""
        self.event = event
        """Name of the event."""
        self.message = message
        """The decoded payload (``None`` when decoding failed)."""
        self._msg = msg
        self._emitter = emitter

    @cached_property
    def _tokens(self) -> list[str]:
        # $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
        # (or the 12-token form with domain and account hash on newer servers)
        tokens = (self._msg.reply or "").split(".")
        if len(tokens) >= 12:
            tokens = tokens[:2] + tokens[4:]
        return tokens

    @property
    def attempt(self) -> int:
        """1 on the first delivery, 2 on the first retry, and so on.

        A delayed event that an actor received early and deferred (servers without
        message schedules) does not count that early delivery.
        """
        delivered = int(self._tokens[4]) if len(self._tokens) > 4 else 1
        not_before = self.header(NOT_BEFORE_HEADER)
        if not_before is not None and delivered > 1 and len(self._tokens) > 7:
            stored = int(self._tokens[7]) / 1e9
            if stored < float(not_before):
                delivered -= 1
        return delivered

    @property
    def sequence(self) -> int:
        """Stream sequence of the event: its position in the log."""
        return int(self._tokens[5]) if len(self._tokens) > 5 else 0

    @property
    def pending(self) -> int:
        """Events still waiting for this actor after this one."""
        return int(self._tokens[8]) if len(self._tokens) > 8 else 0

    @property
    def stream(self) -> str:
        """Name of the stream holding the event."""
        return self._tokens[2] if len(self._tokens) > 2 else ""

    @property
    def timestamp(self) -> datetime:
        """When the server stored the event (UTC)."""
        if len(self._tokens) > 7:
            return datetime.fromtimestamp(int(self._tokens[7]) / 1e9, tz=UTC)
        return datetime.now(tz=UTC)

    @property
    def subject(self) -> str:
        """The subject the event was published to."""
        return self._msg.subject

    @property
    def key(self) -> str | None:
        """The aggregate id for aggregate events (``<type>.<id>.<event>``), else ``None``."""
        parts = self._msg.subject.split(".")
        return parts[1] if len(parts) == 3 else None

    @property
    def headers(self) -> Mapping[str, str]:
        """All headers of the message (look names up with :meth:`header`)."""
        return self._msg.headers or {}

    def header(self, name: str) -> str | None:
        """One header, looked up case-insensitively as NATS requires."""
        return header_lookup(self._msg.headers, name)

    @property
    def event_id(self) -> str | None:
        """The event's unique id (its ``Nats-Msg-Id``)."""
        return self.header(MSG_ID) or self.header(EVENT_ID_HEADER)

    @property
    def trace_id(self) -> str | None:
        """The trace id passed to ``emit(trace_id=...)``, if any."""
        return self.header(TRACE_ID)

    @cached_property
    def cloud_event(self) -> CloudEvent | None:
        """The CloudEvents context of the message (binary or structured), if any.

        Raises:
            CloudEventError: the message claims to be a CloudEvent but is malformed.
        """
        return read_cloud_event(self._msg.headers, self._msg.data)[0]

    async def emit(self, event: Event[E], message: E, *, suffix: str = "") -> Emitted:
        """Emit a follow-up event caused by the one being handled.

        Its message id is derived from this event's id, the actor and the follow-up
        event's name (plus *suffix* when one handler emits several events of the same
        kind), so a retried handler re-emits the same ids and the stream stores each
        follow-up once within its duplicate window. The ``Walnats-Causation-Id``
        header links it to this event; the trace id is carried over.
        """
        if self._emitter is None:
            raise ConfigError(
                "this Context was built by hand, not by a running actor, so it cannot emit; "
                "emit with ConnectedEvents.emit() instead"
            )
        cause = self.event_id or f"{self.stream}.{self.sequence}"
        uid = f"{cause}.{self.actor}.{event.name}" + (f".{suffix}" if suffix else "")
        return await self._emitter.emit(
            event, message, uid=uid, trace_id=self.trace_id, meta={CAUSATION_ID: cause}
        )


class OkContext(Context[T]):
    """A :class:`Context` after the handler succeeded."""

    __slots__ = ("duration", "result")

    def __init__(self, ctx: Context[T], duration: float, result: object) -> None:
        super().__init__(ctx.actor, ctx.event, ctx._msg, ctx.message, ctx._emitter)
        self.duration = duration
        """Seconds the handler ran."""
        self.result = result
        """What the handler returned."""


class ErrorContext(Context[T]):
    """A :class:`Context` after the handler (or decoding) failed."""

    __slots__ = ("duration", "exception")

    def __init__(
        self, ctx: Context[T], exception: BaseException, duration: float | None = None
    ) -> None:
        super().__init__(ctx.actor, ctx.event, ctx._msg, ctx.message, ctx._emitter)
        self.exception = exception
        """What went wrong."""
        self.duration = duration
        """Seconds the handler ran before failing (``None``: it never started)."""


@dataclass
class EmitContext:
    """What an ``on_emit`` middleware sees; it may add headers."""

    event: str
    subject: str
    message: Any
    msg_id: str
    headers: dict[str, str] = field(default_factory=dict)
