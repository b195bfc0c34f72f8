"""The event store of one aggregate type: register, load, save, execute."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

from nats.nuid import NUID

import walnats

from ._batch import Conflict, DuplicateCommand, append, check_command_id, encode_events
from ._changes import NewEvent, check_id
from ._features import ATOMIC_BATCH, EVENT_SOURCING, require, server_version, supports
from ._history import History, check_version, command_of
from ._reader import header
from ._replay import MSG_ID, decode_stored
from ._results import Executed, Loaded, Saved
from ._snapshots import SnapshotBucket

if TYPE_CHECKING:
    from nats.aio.client import Client

    from ._aggregate import Aggregate

__all__ = ["Command", "EventStore"]

logger = logging.getLogger("walnats.projections")

S = TypeVar("S")
Command = Callable[[S], Sequence[NewEvent]]
"""A command bound to its arguments: ``lambda order: pay(order, amount)``."""

_nuid = NUID()


class EventStore(Generic[S]):
    """Loads and saves the aggregates of one type over one NATS connection.

    Get it from :meth:`Aggregate.connect`, or build it on a client you already have::

        store = projections.EventStore(ORDER, conn.client)
        await store.register()

    Needs nats-server 2.11 (2.12 for commands that return several events).
    """

    def __init__(self, aggregate: Aggregate[S], nc: Client, *, timeout: float = 5.0) -> None:
        self.aggregate = aggregate
        """The aggregate type."""
        self.timeout = timeout
        """Seconds to wait for each server answer."""
        self._nc = nc
        self._js = nc.jetstream(timeout=timeout)
        self._history = History(nc, aggregate, timeout)
        self._bucket: SnapshotBucket[S] | None = None

    @property
    def client(self) -> Client:
        """The nats-py client."""
        return self._nc

    async def register(self) -> None:
        """Create or update the aggregate's stream and its snapshot bucket.

        See :meth:`Aggregate.stream_spec` for the stream's settings.

        Raises:
            walnats.ServerTooOld: the server is older than 2.11.
            walnats.StreamConfigMismatch: the stream exists with settings that
                cannot be changed in place (storage).
        """
        found = server_version(self._nc)
        require(found, EVENT_SOURCING)
        spec = self.aggregate.stream_spec(atomic=supports(found, ATOMIC_BATCH))
        await walnats.ensure_stream(self._js, spec)
        self._bucket = await SnapshotBucket.open(self._js, self.aggregate, create=True)

    async def _snapshots(self) -> SnapshotBucket[S]:
        if self._bucket is None:
            self._bucket = await SnapshotBucket.open(self._js, self.aggregate, create=False)
        return self._bucket

    async def load(self, aggregate_id: str) -> Loaded[S]:
        """The current state of an aggregate: its snapshot plus the events after it.

        An aggregate without events loads as ``initial`` at version 0. No consumer
        is created: events are read with batched Direct Get.

        Raises:
            ReplayError: a stored event cannot be applied (see its message).
            walnats.StreamNotFound: the aggregate was never registered.
        """
        check_id(self.aggregate.name, aggregate_id)
        require(server_version(self._nc), EVENT_SOURCING)
        snapshot, revision = await (await self._snapshots()).get(aggregate_id)
        state = self.aggregate.initial
        version = sequence = replayed = 0
        last_id: str | None = None
        if snapshot is not None:
            state, version, sequence = snapshot.state, snapshot.version, snapshot.sequence
            last_id = snapshot.last_event_id
        async for chunk in self._history.read(aggregate_id, start=sequence + 1):
            for message in chunk:
                version += 1
                check_version(message, version)
                for applier, payload in decode_stored(self.aggregate, message):
                    state = applier.fn(state, payload)
                sequence = message.sequence
                last_id = header(message.headers, MSG_ID)
            replayed += len(chunk)
        snapshot_version = snapshot.version if snapshot is not None else None
        return Loaded(
            aggregate_id, state, version, sequence, replayed, snapshot_version, last_id, revision
        )

    async def save(
        self,
        aggregate_id: str,
        events: Sequence[NewEvent],
        expected_version: int | Loaded[S],
        *,
        command_id: str | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> Saved:
        """Append one command's *events* to an aggregate, all or none.

        Args:
            expected_version: the version the command decided against: an ``int``
                (0 for a new aggregate) or, better, the :class:`Loaded` it came from
                (saves a round trip and lets the save take a due snapshot).
            command_id: makes the save idempotent: events get ``Nats-Msg-Id``
                ``<command_id>.<n>``, and a retry that finds them stored returns
                ``Saved(duplicate=True)`` instead of appending again (see
                ``docs/event-sourcing.md``, "Idempotent commands").
            meta: extra headers for every event (trace ids, causation).

        Raises:
            walnats.ConcurrencyError: the aggregate is not at *expected_version*.
            walnats.EncodeError: a payload does not match its event (nothing sent).
            walnats.ServerTooOld: the server cannot do this save safely.
            walnats.EmitError: the server refused the events (none stored) or did
                not answer (retry with the same *command_id*).
        """
        saved, _ = await self._save(aggregate_id, events, expected_version, command_id, meta)
        return saved

    async def _save(
        self,
        aggregate_id: str,
        events: Sequence[NewEvent],
        expected: int | Loaded[S],
        command_id: str | None,
        meta: Mapping[str, str] | None,
    ) -> tuple[Saved, S | None]:
        aggregate = self.aggregate
        check_id(aggregate.name, aggregate_id)
        check_command_id(command_id)
        found = server_version(self._nc)
        require(found, EVENT_SOURCING)
        if len(events) > 1:
            require(found, ATOMIC_BATCH)
        cid = command_id or _nuid.next().decode()
        if isinstance(expected, Loaded):
            if expected.id != aggregate_id:
                raise walnats.ConfigError(
                    f"save({aggregate_id!r}, ...) got the Loaded of {expected.id!r}; pass the "
                    f"Loaded of the aggregate being saved"
                )
            version, sequence = expected.version, expected.sequence
        else:
            sequence, duplicate = await self._history.expectation(
                aggregate_id, expected, command_id
            )
            if duplicate is not None:
                return duplicate, None
            version = expected
        outgoing = encode_events(
            aggregate,
            aggregate_id,
            events,
            version=version,
            cid=cid,
            meta=meta,
            max_payload=self._nc.max_payload,
        )
        try:
            ack = await append(
                self._nc,
                outgoing,
                expected_sequence=sequence,
                expected_subject=aggregate.subjects_of(aggregate_id),
                timeout=self.timeout,
            )
        except Conflict as conflict:
            if command_id is not None:
                own = await self._history.own_write(
                    aggregate_id, version, sequence, cid, len(events)
                )
                if own is not None:
                    return own, None
            raise await self._history.conflict(
                aggregate_id, version, conflict.actual_sequence
            ) from None
        except DuplicateCommand:
            return await self._history.latest_duplicate(aggregate_id), None
        if ack.duplicate:
            return await self._history.latest_duplicate(aggregate_id), None
        new_version = version + len(events)
        if not isinstance(expected, Loaded):
            return Saved(ack.stream, aggregate_id, new_version, ack.sequence, len(events)), None
        state = aggregate.fold(events, expected.state)
        every = aggregate.snapshot_every
        taken = False
        if every is not None and version // every != new_version // every:
            after = Loaded(
                aggregate_id,
                state,
                new_version,
                ack.sequence,
                0,
                last_event_id=f"{cid}.{len(events)}",
                snapshot_revision=expected.snapshot_revision,
            )
            taken = await self._write_snapshot(after)
        saved = Saved(
            ack.stream, aggregate_id, new_version, ack.sequence, len(events), False, taken
        )
        return saved, state

    async def _write_snapshot(self, loaded: Loaded[S]) -> bool:
        # The events are stored: a failed snapshot only makes later loads slower.
        try:
            bucket = await self._snapshots()
            data = bucket.encode(
                loaded.id, loaded.version, loaded.sequence, loaded.state, loaded.last_event_id
            )
            return await bucket.put(loaded.id, data, loaded.snapshot_revision)
        except Exception:
            logger.warning(
                "snapshot of %s/%s failed", self.aggregate.name, loaded.id, exc_info=True
            )
            return False

    async def snapshot(self, aggregate_id: str) -> bool:
        """Snapshot an aggregate now, if it moved since its last snapshot.

        Returns whether a snapshot was written (not when another one is newer).
        """
        loaded = await self.load(aggregate_id)
        if loaded.version == 0 or loaded.replayed == 0:
            return False
        return await self._write_snapshot(loaded)

    async def execute(
        self,
        aggregate_id: str,
        command: Command[S],
        *,
        command_id: str | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> Executed[S]:
        """Load an aggregate, run *command* on its state, save the events it returns.

        *command* is ``state -> list[NewEvent]``; bind arguments with a lambda or
        ``functools.partial``. It validates (raise your domain error) and decides.
        With *command_id*, a command whose events are already stored is not run
        again and returns ``Executed(duplicate=True)``.

        Raises:
            walnats.ConcurrencyError: another writer won; see :func:`retry_on_conflict`.
        """
        name = self.aggregate.name
        loaded = await self.load(aggregate_id)
        if command_id is not None and command_of(loaded.last_event_id) == command_id:
            return Executed(
                name, aggregate_id, loaded.state, loaded.version, loaded.sequence, duplicate=True
            )
        events = tuple(command(loaded.state))
        if not events:
            return Executed(name, aggregate_id, loaded.state, loaded.version, loaded.sequence)
        saved, state = await self._save(aggregate_id, events, loaded, command_id, meta)
        if state is None:  # a duplicate: show the state that includes the earlier write
            again = await self.load(aggregate_id)
            return Executed(
                name, aggregate_id, again.state, again.version, again.sequence, (), True, 1, saved
            )
        return Executed(
            name, aggregate_id, state, saved.version, saved.sequence, events, saved=saved
        )

    def __repr__(self) -> str:
        return f"<EventStore {self.aggregate.name!r}>"
