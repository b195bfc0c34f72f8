"""Read-your-writes: waiting until a projection has applied a stream position."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from . import _checkpoints as checkpoints
from ._delivery import next_matching

if TYPE_CHECKING:
    from nats.js import JetStreamContext

    from ._database import Database
    from ._projection import Projection

__all__ = ["applied_through", "wait_applied"]

DB_POLL = 0.1
"""Seconds between checkpoint reads for partitions other processes apply."""


async def applied_through(
    db: Database, projection: Projection, stream: str, local: Mapping[int, int]
) -> int:
    """The sequence of *stream* every partition has applied.

    *local* holds the in-memory checkpoints of the partitions this process applies
    (always current); the others are read from the database.
    """
    p = projection
    if len(local) == p.partitions:
        return min(local.values())
    async with db.reading() as session:
        rows = await checkpoints.load_checkpoints(session, p.name, p.version)
    stored = [rows.get((k, stream), 0) for k in range(p.partitions)]
    for partition, sequence in local.items():
        stored[partition] = max(stored[partition], sequence)
    return min(stored)


async def wait_applied(
    projection: Projection,
    js: JetStreamContext,
    stream: str,
    sequence: int,
    *,
    timeout: float,
    checkpoint: Callable[[str], Awaitable[int]],
    changed: Callable[[], asyncio.Event],
    local: Callable[[], bool],
) -> bool:
    """Wait until ``checkpoint(stream)`` covers *sequence*; ``False`` after *timeout*.

    A sequence the projection does not read is covered once the checkpoint reaches
    the last event it reads before it: the first matching sequence after the
    checkpoint is looked up (once per checkpoint value) and compared. *changed* is
    set on every commit in this process; while some partitions run elsewhere
    (``local()`` is false) the database is polled as well.
    """
    if stream not in projection.streams:
        return True
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    filters = projection.filters(stream)
    looked_up: tuple[int, int | None] | None = None
    while True:
        event = changed()
        applied = await checkpoint(stream)
        if applied >= sequence:
            return True
        if looked_up is None or looked_up[0] != applied:
            looked_up = (applied, await next_matching(js, stream, filters, applied + 1))
        following = looked_up[1]
        if following is None or following > sequence:
            return True
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        wait = remaining if local() else min(remaining, DB_POLL)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), wait)
