"""The periodic snapshot job: snapshot every aggregate that moved since its last snapshot.

``walnats snapshot APP AGGREGATE`` calls :func:`snapshot_moved`; so can any scheduler.
Candidates come from the stream's per-subject message counts (one paged
``STREAM.INFO`` request): with deletes denied on the stream, the events of
``<type>.<id>.*`` add up to the aggregate's version, compared with the version in its
snapshot. Only aggregates at least *min_events* ahead are loaded and snapshotted.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nats.errors import NoRespondersError

import walnats

if TYPE_CHECKING:
    from ._store import EventStore

__all__ = ["SnapshotReport", "snapshot_moved"]


@dataclass(frozen=True, slots=True)
class SnapshotReport:
    """What one run of :func:`snapshot_moved` did."""

    checked: int
    """Aggregates looked at."""
    moved: int
    """Aggregates at least *min_events* past their snapshot."""
    taken: int
    """Snapshots written (fewer than *moved* when another writer was faster)."""


async def snapshot_moved(
    store: EventStore[Any],
    *,
    min_events: int = 1,
    ids: Iterable[str] | None = None,
    concurrency: int = 8,
) -> SnapshotReport:
    """Snapshot the aggregates of *store* that moved by *min_events* since their snapshot.

    Args:
        min_events: events an aggregate must be ahead of its snapshot (or, without
            one, events it must have) to be snapshotted.
        ids: look only at these aggregates (default: every aggregate in the stream).
        concurrency: aggregates loaded at the same time.
    """
    if isinstance(min_events, bool) or not isinstance(min_events, int) or min_events < 1:
        raise walnats.ConfigError(f"min_events must be an int >= 1, got {min_events!r}")
    if concurrency < 1:
        raise walnats.ConfigError(f"concurrency must be >= 1, got {concurrency!r}")
    counts = await event_counts(store)
    if ids is not None:
        wanted = set(ids)
        counts = {k: v for k, v in counts.items() if k in wanted}
    bucket = await store._snapshots()
    gate = asyncio.Semaphore(concurrency)
    moved = taken = 0

    async def visit(aggregate_id: str, count: int) -> None:
        nonlocal moved, taken
        async with gate:
            snapshot, _ = await bucket.get(aggregate_id)
            behind = count - (snapshot.version if snapshot is not None else 0)
            if behind < min_events:
                return
            moved += 1
            if await store.snapshot(aggregate_id):
                taken += 1

    await asyncio.gather(*(visit(aggregate_id, count) for aggregate_id, count in counts.items()))
    return SnapshotReport(len(counts), moved, taken)


async def event_counts(store: EventStore[Any]) -> dict[str, int]:
    """Events per aggregate id in *store*'s stream, from the per-subject counts."""
    name = store.aggregate.name
    counts: dict[str, int] = {}
    offset = 0
    while True:
        request = json.dumps({"subjects_filter": f"{name}.>", "offset": offset}).encode()
        try:
            reply = await store.client.request(
                f"$JS.API.STREAM.INFO.{name}", request, timeout=store.timeout
            )
        except NoRespondersError:
            raise walnats.StreamError("JetStream is not enabled on this server") from None
        info = json.loads(reply.data)
        if "error" in info:
            error = info["error"]
            if error.get("err_code") == 10059:
                raise walnats.StreamNotFound(
                    f"stream {name!r} does not exist; register the aggregate first"
                )
            raise walnats.StreamError(f"stream info of {name!r} failed: {error.get('description')}")
        subjects: dict[str, int] = info.get("state", {}).get("subjects") or {}
        for subject, count in subjects.items():
            parts = subject.split(".")
            if len(parts) == 3:
                counts[parts[1]] = counts.get(parts[1], 0) + count
        offset += len(subjects)
        if not subjects or offset >= int(info.get("total", 0)):
            return counts
