"""Snapshots: one KV entry per aggregate, so that loading replays only later events.

The bucket is ``<aggregate>-snapshots`` (history 1), the key the aggregate id, the value
a JSON document readable with ``nats kv get``::

    {"aggregate": "order", "id": "o-1", "version": 9900, "sequence": 123456,
     "schema": 2, "last_event_id": "cmd-42.1", "taken_at": 1767225600.0,
     "state": {...}}

*version* is the aggregate version the state includes, *sequence* the stream sequence
of its last event (loading continues at ``sequence + 1``), *schema* the aggregate's
``state_version`` when the snapshot was taken. A snapshot with an older schema is
upcast through the aggregate's ``snapshot_upcasters`` or discarded; one that cannot
be decoded, comes from a newer schema or belongs to another aggregate is discarded.
A discarded snapshot costs a full replay, never a wrong state.

Writes are compare-and-set on the KV revision read at load time, so a slow writer
never replaces a newer snapshot with an older one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec
from nats.errors import NoRespondersError
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import (
    APIError,
    BucketNotFoundError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
)

import walnats

if TYPE_CHECKING:
    from nats.js import JetStreamContext
    from nats.js.kv import KeyValue

    from ._aggregate import Aggregate

__all__ = ["Snapshot", "SnapshotBucket"]

logger = logging.getLogger("walnats.projections")

S = TypeVar("S")


class _Envelope(msgspec.Struct, kw_only=True):
    aggregate: str
    id: str
    version: int
    sequence: int
    schema: int
    last_event_id: str | None = None
    taken_at: float = 0.0
    state: msgspec.Raw


_decode_envelope = msgspec.json.Decoder(_Envelope).decode
_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True, slots=True)
class Snapshot(Generic[S]):
    """A decoded snapshot, already brought to the current state schema."""

    version: int
    """Aggregate version the state includes."""
    sequence: int
    """Stream sequence of the last event the state includes."""
    schema: int
    """State schema version it was written with (before any upcasting)."""
    state: S
    """The state."""
    last_event_id: str | None = None
    """``Nats-Msg-Id`` of the last event it includes (for idempotent commands)."""
    revision: int = 0
    """KV revision of the entry."""


class SnapshotBucket(Generic[S]):
    """Reads and writes the snapshots of one aggregate type."""

    def __init__(self, aggregate: Aggregate[S], kv: KeyValue | None) -> None:
        self._aggregate = aggregate
        self._kv = kv

    @classmethod
    async def open(
        cls, js: JetStreamContext, aggregate: Aggregate[S], *, create: bool
    ) -> SnapshotBucket[S]:
        """Open (and with *create*, create) the bucket; a missing one disables snapshots."""
        if create:
            config = KeyValueConfig(
                bucket=aggregate.bucket,
                description=f"snapshots of aggregate {aggregate.name!r} (walnats projections)",
                history=1,
                replicas=aggregate.replicas,
                storage=StorageType.FILE if aggregate.storage == "file" else StorageType.MEMORY,
                direct=True,
            )
            return cls(aggregate, await js.create_key_value(config))
        try:
            return cls(aggregate, await js.key_value(aggregate.bucket))
        except BucketNotFoundError:
            logger.warning(
                "snapshot bucket %r does not exist: aggregates load without snapshots "
                "until the aggregate is registered",
                aggregate.bucket,
            )
            return cls(aggregate, None)

    async def get(self, aggregate_id: str) -> tuple[Snapshot[S] | None, int]:
        """The usable snapshot of *aggregate_id* (or ``None``) and the KV revision to write over."""
        if self._kv is None:
            return None, 0
        try:
            entry = await self._kv.get(aggregate_id)
        except KeyNotFoundError:
            return None, 0
        except (NoRespondersError, APIError) as exc:
            # Snapshots only save time: without one the load replays every event.
            logger.warning(
                "snapshot of %s/%s unreadable (%s): loading from the first event",
                self._aggregate.name,
                aggregate_id,
                exc or type(exc).__name__,
            )
            return None, 0
        revision = entry.revision or 0
        return self.decode(aggregate_id, entry.value or b"", revision), revision

    def decode(self, aggregate_id: str, data: bytes, revision: int = 0) -> Snapshot[S] | None:
        """Decode a stored snapshot, upcasting its state; ``None`` when it must be discarded."""
        aggregate = self._aggregate
        try:
            envelope = _decode_envelope(data)
        except msgspec.DecodeError as exc:
            return _discarded(aggregate.name, aggregate_id, f"unreadable envelope ({exc})")
        if envelope.aggregate != aggregate.name or envelope.id != aggregate_id:
            return _discarded(
                aggregate.name, aggregate_id, f"it belongs to {envelope.aggregate}/{envelope.id}"
            )
        current = aggregate.state_version
        if envelope.schema > current:
            return _discarded(
                aggregate.name,
                aggregate_id,
                f"written by newer code (state v{envelope.schema} > v{current})",
            )
        raw = bytes(envelope.state)
        if envelope.schema < current:
            upcasted = _upcast_state(aggregate, raw, envelope.schema)
            if upcasted is None:
                return _discarded(
                    aggregate.name,
                    aggregate_id,
                    f"state v{envelope.schema} has no snapshot upcaster chain to v{current}",
                )
            raw = upcasted
        try:
            state = aggregate.state_codec.decode(raw)
        except walnats.DecodeError as exc:
            return _discarded(
                aggregate.name,
                aggregate_id,
                f"the state does not decode ({exc}); if the state type changed, bump "
                f"state_version so that old snapshots are recognised",
            )
        return Snapshot(
            envelope.version,
            envelope.sequence,
            envelope.schema,
            state,
            envelope.last_event_id,
            revision,
        )

    def encode(
        self, aggregate_id: str, version: int, sequence: int, state: S, last_event_id: str | None
    ) -> bytes:
        """The stored form of a snapshot."""
        envelope = _Envelope(
            aggregate=self._aggregate.name,
            id=aggregate_id,
            version=version,
            sequence=sequence,
            schema=self._aggregate.state_version,
            last_event_id=last_event_id,
            taken_at=round(time.time(), 3),
            state=msgspec.Raw(self._aggregate.state_codec.encode(state)),
        )
        return _encode(envelope)

    async def put(self, aggregate_id: str, data: bytes, revision: int) -> bool:
        """Write a snapshot unless someone wrote one since *revision* (0: none existed)."""
        if self._kv is None:
            return False
        try:
            if revision:
                await self._kv.update(aggregate_id, data, last=revision)
            else:
                await self._kv.create(aggregate_id, data)
        except KeyWrongLastSequenceError:
            logger.debug(
                "snapshot of %s/%s not written: a newer one exists",
                self._aggregate.name,
                aggregate_id,
            )
            return False
        return True


def _upcast_state(aggregate: Aggregate[Any], raw: bytes, version: int) -> bytes | None:
    steps = {u.version: u for u in aggregate.snapshot_upcasters}
    if any(v not in steps for v in range(version, aggregate.state_version)):
        return None
    document = msgspec.json.decode(raw)
    for v in range(version, aggregate.state_version):
        document = steps[v].fn(document)
    return _encode(document)


def _discarded(aggregate: str, aggregate_id: str, reason: str) -> Snapshot[Any] | None:
    """Log why a snapshot is not used; loading then replays every event."""
    logger.info(
        "snapshot of %s/%s discarded, rebuilding from events: %s", aggregate, aggregate_id, reason
    )
    return None
