"""Aggregate declarations: a name, a state type, one apply per event, and upcasters.

An aggregate type is declared once, as a frozen value, next to its events::

    ORDER_PLACED = walnats.Event("order-placed", OrderPlaced, aggregate="order")
    ORDER_PAID = walnats.Event("order-paid", OrderPaid, aggregate="order")

    ORDER = projections.Aggregate(
        "order",
        state=Order,
        initial=Order(),
        apply=[
            projections.on(ORDER_PLACED, placed),
            projections.on(ORDER_PAID, paid),
        ],
    )

The events are ordinary :class:`walnats.Event` declarations with ``aggregate=`` set,
so actors subscribe to them like to any event (server-side filtered on
``order.*.order-paid``). Commands are plain functions ``(state, ...) -> list[NewEvent]``
that validate and decide; :meth:`projections.EventStore.execute` runs them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import walnats

from ._changes import Applier, NewEvent
from ._upcasting import SnapshotUpcaster, Upcaster, Upcasters
from ._validation import (
    check_initial,
    check_name,
    check_snapshots,
    check_upcasters,
    index_appliers,
)

if TYPE_CHECKING:
    from nats.aio.client import Client

    from ._store import EventStore

__all__ = ["Aggregate"]

S = TypeVar("S")
T = TypeVar("T")


@dataclass(frozen=True)
class Aggregate(Generic[S]):
    """An aggregate type: the consistency boundary that commands decide against.

    Each aggregate type is one stream named *name*; each aggregate's events live on
    ``<name>.<id>.<event-name>``; snapshots live in the KV bucket ``<name>-snapshots``.
    """

    name: str
    """Kebab-case type name: the stream name and the first subject token.

    Renaming it starts a new, empty stream: choose it carefully."""

    state: type[S]
    """The state type: a msgspec Struct or frozen dataclass (immutable is best), or
    anything *state_serializer* can turn into JSON for snapshots."""

    initial: S
    """The state of an aggregate that has no events yet."""

    apply: Sequence[Applier[S]]
    """One :func:`on` per event type; their events are this aggregate's events."""

    description: str | None = None
    """What the aggregate is, for humans (docs, diagrams, AsyncAPI)."""

    upcasters: Sequence[Upcaster] = ()
    """Conversions of events stored with older schemas (see ``docs/upcasting.md``)."""

    state_version: int = 1
    """Schema version of the state in snapshots. Bump it whenever the state type or
    the meaning of an apply changes: older snapshots are then upcast by
    *snapshot_upcasters* or discarded and rebuilt from events."""

    snapshot_upcasters: Sequence[SnapshotUpcaster] = ()
    """Conversions of snapshot states from older *state_version*s."""

    snapshot_every: int | None = None
    """Take a snapshot in ``save`` whenever the version crosses a multiple of this
    number; ``None`` leaves snapshots to :func:`projections.snapshot_moved`."""

    state_serializer: walnats.Serializer[S] | None = None
    """How snapshot states become JSON; defaults to ``walnats.MsgspecJSON(state)``."""

    replicas: int = 1
    """Copies of the stream and the snapshot bucket in a cluster (1, 3 or 5)."""

    storage: Literal["file", "memory"] = "file"
    """Where the server keeps the events; cannot change once the stream exists."""

    duplicate_window: float = 120.0
    """Seconds in which a repeated message id (a retried command) is dropped."""

    _appliers: dict[str, Applier[S]] = field(init=False, repr=False, compare=False)
    _upcasters: Upcasters = field(init=False, repr=False, compare=False)
    _codec: walnats.Serializer[S] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_name(self.name)
        if self.description is not None and not self.description.strip():
            raise walnats.ConfigError(f"aggregate {self.name!r}: description must not be empty")
        object.__setattr__(self, "apply", tuple(self.apply))
        object.__setattr__(self, "upcasters", tuple(self.upcasters))
        object.__setattr__(self, "snapshot_upcasters", tuple(self.snapshot_upcasters))
        object.__setattr__(self, "_appliers", index_appliers(self))
        object.__setattr__(self, "_upcasters", Upcasters(*self.upcasters))
        check_upcasters(self)
        check_snapshots(self)
        check_initial(self)
        codec = self.state_serializer or walnats.MsgspecJSON(self.state)
        if "json" not in codec.content_type:
            raise walnats.ConfigError(
                f"aggregate {self.name!r}: snapshots store the state as JSON, but the state "
                f"serializer writes {codec.content_type!r}; use a JSON serializer"
            )
        object.__setattr__(self, "_codec", codec)
        if self.replicas not in (1, 2, 3, 4, 5):
            raise walnats.ConfigError(f"aggregate {self.name!r}: replicas must be 1 to 5")
        if self.storage not in ("file", "memory"):
            raise walnats.ConfigError(
                f"aggregate {self.name!r}: storage must be 'file' or 'memory'"
            )
        if not self.duplicate_window > 0:
            raise walnats.ConfigError(
                f"aggregate {self.name!r}: duplicate_window must be > 0 seconds"
            )

    @property
    def events(self) -> tuple[walnats.BaseEvent[Any, Any], ...]:
        """The aggregate's events, for ``walnats.Services(owns=[...])`` and tooling."""
        return tuple(a.event for a in self.apply)

    @property
    def appliers_by_name(self) -> dict[str, Applier[S]]:
        """The applier of each event, by event name."""
        return self._appliers

    @property
    def upcaster_registry(self) -> Upcasters:
        """The upcaster pipeline of this aggregate's events."""
        return self._upcasters

    @property
    def state_codec(self) -> walnats.Serializer[S]:
        """The serializer of snapshot states."""
        return self._codec

    @property
    def bucket(self) -> str:
        """Name of the KV bucket holding this aggregate type's snapshots."""
        return f"{self.name}-snapshots"

    def stream_spec(self, *, atomic: bool = True) -> walnats.StreamSpec:
        """The aggregate type's stream: ``<name>.>``, limits retention, no limits.

        It denies deleting and purging messages (it is the log of record: versions
        count its messages), allows Direct Get (loading) and, with *atomic* (server
        2.12+), atomic batches (multi-event commands).
        """
        flags = {"allow_direct": True, "deny_delete": True, "deny_purge": True}
        if atomic:
            flags["allow_atomic"] = True
        return walnats.StreamSpec(
            name=self.name,
            subjects=(f"{self.name}.>",),
            description=self.description,
            storage=self.storage,
            replicas=self.replicas,
            duplicate_window=self.duplicate_window,
            flags=flags,
        )

    def applier(self, event_name: str) -> Applier[S] | None:
        """The applier of the event called *event_name*, if it is one of ours."""
        return self._appliers.get(event_name)

    def subject(self, aggregate_id: str, event_name: str) -> str:
        """The subject one event of aggregate *aggregate_id* is stored under."""
        return f"{self.name}.{aggregate_id}.{event_name}"

    def subjects_of(self, aggregate_id: str) -> str:
        """The subject filter matching every event of aggregate *aggregate_id*."""
        return f"{self.name}.{aggregate_id}.*"

    def decode_message(
        self, subject: str, data: bytes, headers: Mapping[str, str] | None = None
    ) -> list[NewEvent]:
        """The events a stored message stands for today, upcast and decoded.

        The same conversion ``load`` applies, for tools that hold a raw message of
        this aggregate (replays, dead letters): usually one event, several or none
        after a one-to-many upcaster.

        Raises:
            ReplayError: the event is unknown, has no upcaster chain to the current
                version, or does not decode.
        """
        from ._reader import StoredMessage
        from ._replay import decode_stored

        message = StoredMessage(subject, 0, data, headers or {})
        return [NewEvent(a.event, payload) for a, payload in decode_stored(self, message)]

    def decoder(
        self, event: walnats.BaseEvent[T, Any]
    ) -> Callable[[str, bytes, Mapping[str, str] | None], T]:
        """A ``walnats.Actor(decoder=...)`` that upcasts stored *event* s as ``load`` does.

        ::

            walnats.Actor("audit", ORDER_PAID, audit, decoder=ORDER.decoder(ORDER_PAID))

        A stored message that becomes anything but exactly one *event* after upcasting
        (a one-to-many upcaster) cannot be handed to an actor: it raises, and the
        actor dead-letters it.
        """
        self._applier_for(event)

        def decode(subject: str, data: bytes, headers: Mapping[str, str] | None) -> T:
            found = [e for e in self.decode_message(subject, data, headers) if e.event == event]
            if len(found) != 1:
                raise walnats.DecodeError(
                    f"{subject} became {len(found)} {event.name!r} events after upcasting; "
                    f"an actor on {event.name!r} needs exactly one"
                )
            payload: T = found[0].payload
            return payload

        return decode

    def fold(self, events: Iterable[NewEvent], state: S | None = None) -> S:
        """Apply *events* in order to *state* (default: *initial*); pure, for tests too.

        Raises:
            walnats.ConfigError: an event does not belong to this aggregate.
        """
        current = self.initial if state is None else state
        for item in events:
            current = self._applier_for(item.event).fn(current, item.payload)
        return current

    def _applier_for(self, event: walnats.BaseEvent[Any, Any]) -> Applier[S]:
        applier = self._appliers.get(event.name)
        if applier is None or applier.event != event:
            known = ", ".join(sorted(self._appliers))
            raise walnats.ConfigError(
                f"event {event.name!r} is not an event of aggregate {self.name!r} "
                f"(its events: {known}); add projections.on({event.name!r} ...) to it"
            )
        return applier

    @asynccontextmanager
    async def connect(
        self,
        server: str | Sequence[str] | Client | None = None,
        *,
        register: bool = True,
        close: bool = True,
        **options: Any,
    ) -> AsyncIterator[EventStore[S]]:
        """Connect to NATS and open the event store of this aggregate type.

        Args:
            server: URL(s), a connected nats-py client, or ``None`` for ``$NATS_URL``.
            register: create or update the stream and the snapshot bucket first.
            close: drain and close the connection on exit.
            options: passed to ``walnats.Events.connect`` (timeouts, credentials).
        """
        from ._store import EventStore

        async with walnats.Events(*self.events).connect(server, close=close, **options) as conn:
            store = EventStore(self, conn.client)
            if register:
                await store.register()
            yield store
