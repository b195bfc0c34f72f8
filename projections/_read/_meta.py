"""What a projection handler knows about the event it applies, besides the payload."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import msgspec

__all__ = ["EventMeta"]


class EventMeta(msgspec.Struct, frozen=True, gc=False):
    """Where an event sits in the log, and who it is about.

    Handlers receive it as their second argument::

        async def placed(event: OrderPlaced, meta: EventMeta, session: AsyncSession) -> None:
            session.add(OrderSummary(id=meta.aggregate_id, placed_at=meta.time, ...))

    Use :attr:`sequence` (with :attr:`stream`) as a version column or an idempotency key
    of your own; use :attr:`time` rather than the wall clock, so that a replay rebuilds
    the same rows.

    A frozen msgspec ``Struct``: one is built per applied event, and it costs a sixth of
    a frozen dataclass.
    """

    stream: str
    """The stream holding the event: the event name, or the aggregate type."""
    sequence: int
    """The event's position in its stream (unique and increasing within the stream)."""
    subject: str
    """``<event>`` for plain events, ``<aggregate>.<id>.<event>`` for aggregate events."""
    event: str
    """The event name (after upcasting: the current name)."""
    event_id: str | None
    """The event's unique id (its ``Nats-Msg-Id``), when the publisher set one."""
    aggregate_id: str | None
    """The aggregate id of an aggregate event, else ``None``."""
    timestamp_ns: int
    """When the server stored the event, in nanoseconds since the Unix epoch."""
    schema_version: int
    """The schema version of the payload the handler receives."""
    headers: Mapping[str, str]
    """All headers of the stored message (look names up case-insensitively)."""
    replaying: bool
    """``True`` while a replay (``projections.replay``) rebuilds the projection."""
    partition: int
    """The partition applying the event (0 unless the projection is partitioned)."""

    @property
    def time(self) -> datetime:
        """When the server stored the event (UTC): use it instead of ``datetime.now()``."""
        return datetime.fromtimestamp(self.timestamp_ns / 1e9, tz=UTC)
