"""Turning delivered messages into the handler calls of one partition (no I/O)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._core import EVENT_ID_HEADER, MSG_ID, TARGET_HEADER
from ._meta import EventMeta

if TYPE_CHECKING:
    from ._delivery import Delivery
    from ._handlers import Decoded
    from ._projection import Projection

__all__ = ["Step", "partition_of", "prepare"]


def partition_of(key: str, partitions: int) -> int:
    """The partition of partition key *key*: stable across processes and restarts (CRC-32)."""
    return zlib.crc32(key.encode()) % partitions if partitions > 1 else 0


@dataclass(slots=True)
class Step:
    """One delivered message and what applying it means for this partition."""

    delivery: Delivery
    calls: list[tuple[Decoded, EventMeta]] = field(default_factory=list)
    """Handler calls, in order; empty for events this partition only steps over."""
    error: BaseException | None = None
    """Why the message cannot be decoded: it is poison before any handler runs."""
    name: str = ""
    """The event name, for log lines and dead letters."""


def prepare(
    projection: Projection,
    partition: int,
    deliveries: list[Delivery],
    checkpoints: dict[str, int],
    *,
    replaying: bool,
) -> list[Step]:
    """The steps of a batch: what to call for each message above the checkpoint."""
    steps = []
    target_name = projection.base_name
    for delivery in deliveries:
        router = projection.router(delivery.stream)
        step = Step(delivery, name=router.name_of(delivery.subject))
        steps.append(step)
        if delivery.sequence <= checkpoints.get(delivery.stream, 0):
            continue  # applied before: a replayed or redelivered message
        headers = delivery.headers
        target = headers.get(TARGET_HEADER) if headers else None
        if target is not None and target != target_name:
            continue  # a dead letter re-driven for someone else
        aggregate_id = router.aggregate_id(delivery.subject)
        if (
            projection.partitions > 1
            and aggregate_id is not None
            and partition_of(aggregate_id, projection.partitions) != partition
        ):
            continue  # another partition's aggregate: skip without decoding
        try:
            decoded = router.decode(delivery.subject, delivery.data, headers)
        except Exception as exc:  # noqa: BLE001 - a poison message, handled by the worker
            step.error = exc
            continue
        if not decoded:
            continue
        if projection.partitions > 1 and aggregate_id is None:
            first = decoded[0]
            key = first.handler.key(first.payload) if first.handler.key else first.name
            if partition_of(key, projection.partitions) != partition:
                continue
        event_id = None
        if headers:
            event_id = headers.get(MSG_ID) or headers.get(EVENT_ID_HEADER)
        for call in decoded:
            meta = EventMeta(
                stream=delivery.stream,
                sequence=delivery.sequence,
                subject=delivery.subject,
                event=call.name,
                event_id=event_id,
                aggregate_id=aggregate_id,
                timestamp_ns=delivery.ts,
                schema_version=call.version,
                headers=headers,
                replaying=replaying,
                partition=partition,
            )
            step.calls.append((call, meta))
    return steps
