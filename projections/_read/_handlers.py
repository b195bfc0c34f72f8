"""One handler per event type, and turning a stored message into handler calls.

:func:`handle` is a function rather than a generic class on purpose (as
``projections.on`` for aggregates): mypy infers the payload type from the event alone,
so a handler for the wrong payload is rejected even inside ``handlers=[...]``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

import walnats

from .._errors import ReplayError
from .._upcasting import RawEvent, Upcasters
from ._core import unwrap_structured

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from ._meta import EventMeta

__all__ = [
    "BatchHandlerFn",
    "Decoded",
    "EventHandler",
    "HandlerFn",
    "Router",
    "handle",
    "apply_calls",
    "handle_batch",
]

T = TypeVar("T")

HandlerFn = Callable[[T, "EventMeta", "AsyncSession"], Awaitable[None]]
"""``async (payload, meta, session) -> None``: change the read model for one event."""

BatchHandlerFn = Callable[[Sequence[tuple[T, "EventMeta"]], "AsyncSession"], Awaitable[None]]
"""``async (events, session) -> None``: change the read model for consecutive events."""

SCHEMA_HEADER = "Walnats-Schema-Version"


@dataclass(frozen=True, slots=True)
class EventHandler:
    """How a projection applies one event type. Build it with :func:`handle`."""

    event: walnats.BaseEvent[Any, Any]
    """The event this handler applies."""
    fn: Callable[..., Awaitable[None]]
    """``async (payload, meta, session) -> None`` (or, for a batch handler,
    ``async (events, session) -> None``); it must not commit or roll back."""
    version: int = 1
    """The payload schema version *fn* expects (older ones are upcast first)."""
    key: Callable[[Any], str] | None = None
    """Partition key of a plain event (aggregate events use the aggregate id)."""
    batch: bool = False
    """Whether *fn* takes a list of ``(payload, meta)`` pairs (see :func:`handle_batch`)."""


def handle(
    event: walnats.BaseEvent[T, Any],
    fn: HandlerFn[T],
    *,
    version: int = 1,
    key: Callable[[T], str] | None = None,
) -> EventHandler:
    """Apply every *event* to the read model with ``await fn(payload, meta, session)``.

    *fn* runs inside the projection's batch transaction: it reads and writes through
    *session* and never commits (the runner commits the batch together with the
    checkpoint). mypy rejects an *fn* whose payload type is not *event*'s schema.

    Args:
        version: the payload schema version *fn* is written for; stored events with an
            older version go through the projection's ``upcasters`` first.
        key: for a partitioned projection, the partition key of a plain event (e.g.
            ``lambda order: order.order_id``). Aggregate events are partitioned by
            their aggregate id; plain events without *key* all go to one partition.
    """
    if not isinstance(event, walnats.BaseEvent):
        raise walnats.ConfigError(f"handle() takes a walnats.Event, got {event!r}")
    if not callable(fn):
        raise walnats.ConfigError(f"handler for {event.name!r} must be callable, got {fn!r}")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise walnats.ConfigError(f"handler for {event.name!r}: version must be an int >= 1")
    return EventHandler(event, fn, version, key)


def handle_batch(
    event: walnats.BaseEvent[T, Any],
    fn: BatchHandlerFn[T],
    *,
    version: int = 1,
    key: Callable[[T], str] | None = None,
) -> EventHandler:
    """Apply runs of *event* with one call: ``await fn([(payload, meta), ...], session)``.

    Use it when one statement can write many rows (``session.execute(insert(...),
    rows)``: one ``executemany`` instead of one round trip per event); that is where
    the time of a projection goes. The runner passes each run of consecutive *event* s
    in a batch, in stream order; events of other types in between end a run, so the
    order of changes across event types is kept. A list may hold a single event (a
    retry applies events one by one to find a poison event).
    """
    handler = handle(event, fn, version=version, key=key)  # type: ignore[arg-type]
    return EventHandler(handler.event, handler.fn, handler.version, handler.key, batch=True)


@dataclass(slots=True)
class Decoded:
    """One handler call a stored message stands for (after upcasting)."""

    handler: EventHandler
    payload: Any
    name: str
    version: int


async def apply_calls(session: AsyncSession, calls: Iterable[tuple[Decoded, EventMeta]]) -> None:
    """Run the handlers of a batch in order; a batch handler gets each run of its event."""
    run: list[tuple[Any, EventMeta]] = []
    run_handler: EventHandler | None = None
    for call, meta in calls:
        handler = call.handler
        if run_handler is not None and handler is not run_handler:
            await run_handler.fn(run, session)
            run, run_handler = [], None
        if handler.batch:
            run_handler = handler
            run.append((call.payload, meta))
        else:
            await handler.fn(call.payload, meta, session)
    if run_handler is not None:
        await run_handler.fn(run, session)


class Router:
    """Finds the handlers of one stream's messages and decodes their payloads.

    A stored message stands for zero handler calls (an event the projection does not
    handle, or one an upcaster dropped), one, or several (a one-to-many upcaster).
    """

    __slots__ = ("_by_name", "_upcasters", "aggregate", "stream")

    def __init__(self, stream: str, handlers: Iterable[EventHandler], upcasters: Upcasters):
        self.stream = stream
        self._by_name: Mapping[str, EventHandler] = {h.event.name: h for h in handlers}
        self._upcasters = upcasters
        first = next(iter(self._by_name.values()))
        self.aggregate = first.event.aggregate

    def name_of(self, subject: str) -> str:
        """The event name of a subject of this stream."""
        return subject.rsplit(".", 1)[-1] if self.aggregate is not None else subject

    def aggregate_id(self, subject: str) -> str | None:
        """The aggregate id in an aggregate event's subject."""
        if self.aggregate is None:
            return None
        parts = subject.split(".")
        return parts[1] if len(parts) == 3 else None

    def handler(self, name: str) -> EventHandler | None:
        """The handler of event *name*, if this projection has one."""
        return self._by_name.get(name)

    def decode(self, subject: str, data: bytes, headers: Mapping[str, str]) -> list[Decoded]:
        """The handler calls one stored message stands for.

        Raises:
            walnats.DecodeError: the payload does not fit the event's schema.
            ReplayError: the stored schema version has no upcaster chain to the one
                the handler expects.
        """
        name = self.name_of(subject)
        version = _schema_version(headers)
        if headers and ("content-type" in headers or "Content-Type" in headers):
            data = unwrap_structured(headers, data)
        if (name, version) in self._upcasters:
            return self._upcast(name, version, data)
        handler = self._by_name.get(name)
        if handler is None:
            return []
        if version != handler.version:
            raise ReplayError(
                f"event {name!r} is stored as schema v{version} but the handler expects "
                f"v{handler.version}; add projections.Upcaster({name!r}, {version}, ...) "
                f"to the projection's upcasters"
            )
        return [Decoded(handler, handler.event.decode(data), name, version)]

    def _upcast(self, name: str, version: int, data: bytes) -> list[Decoded]:
        try:
            document = msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            raise walnats.DecodeError(
                f"event {name!r} v{version} is not JSON, so it cannot be upcast: {exc}"
            ) from None
        calls = []
        for record in self._upcasters.upcast(RawEvent(name, version, document)):
            handler = self._by_name.get(record.name)
            if handler is None:
                continue
            if record.version != handler.version:
                raise ReplayError(
                    f"upcasting {name!r} v{version} produced {record.name!r} "
                    f"v{record.version}, but the handler expects v{handler.version}"
                )
            payload = handler.event.decode(msgspec.json.encode(record.data))
            calls.append(Decoded(handler, payload, record.name, record.version))
        return calls


_SCHEMA_LOWER = SCHEMA_HEADER.lower()
_SCHEMA_LEN = len(SCHEMA_HEADER)


def _schema_version(headers: Mapping[str, str]) -> int:
    if not headers:
        return 1
    value = headers.get(SCHEMA_HEADER)
    if value is None:  # header names are case-insensitive; compare lengths first
        for key, candidate in headers.items():
            if len(key) == _SCHEMA_LEN and key.lower() == _SCHEMA_LOWER:
                value = candidate
                break
    try:
        return int(value) if value is not None else 1
    except ValueError:
        raise walnats.DecodeError(f"invalid {SCHEMA_HEADER} header {value!r}") from None
