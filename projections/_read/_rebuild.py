"""Rebuilding projections from the log: ``projections.replay`` (``walnats replay``).

A replay takes every partition's claim (running workers notice at their next
transaction and stand by), empties the read model (declared tables, then the reset
hook) and moves the checkpoints back to the start in one transaction, catches up to
the end of the log as it was when the replay began, and gives the claims back: the
running workers continue from there. The read model is not served consistently
while it rebuilds; to keep serving the old one, build a new ``version`` side by side
instead (blue/green, see ``docs/replay.md``).

Reactors have consumers of their own, so a replay never makes them send anything again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

import walnats

from . import _checkpoints as checkpoints
from . import _claims as claims
from ._database import Database, as_database
from ._errors import ProjectionError
from ._migrate import check_database
from ._progress import Progress, ProgressMeter
from ._projection import Projection
from ._worker import PartitionWorker

if TYPE_CHECKING:
    from nats.aio.client import Client
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["ReplayReport", "replay", "sequence_at"]

logger = logging.getLogger("walnats.projections")


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """What one replay did."""

    projection: str
    version: int
    starts: Mapping[str, int]
    """Per stream, the first sequence applied."""
    events: int
    """Messages read (applied or stepped over by a partition)."""
    applied: int
    """Handler calls made."""
    seconds: float

    @property
    def rate(self) -> float:
        """Messages per second."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


async def replay(
    projections: Projection | Sequence[Projection],
    *,
    nc: Client | None = None,
    url: str | None = None,
    db: Database | AsyncEngine | str | URL | None = None,
    from_seq: int | Mapping[str, int] | None = None,
    from_time: datetime | None = None,
    reset: bool = True,
    on_progress: Callable[[Progress], None] | None = None,
    lease: float = 30.0,
) -> list[ReplayReport]:
    """Rebuild *projections* from the log, one after the other; returns a report each.

    Args:
        nc: a connected client; or *url* (default ``$NATS_URL``) to connect here.
        db: the projections' database (default ``$WALNATS_DB``).
        from_seq: the first sequence to apply: one for every stream, or per stream.
        from_time: the first event stored at or after this (time-zone aware) time.
            Without either, the replay starts at the beginning of each stream.
        reset: empty the declared ``tables`` and call the ``reset`` hook first. With
            ``False`` the events from the start are applied again on top of the read
            model (only for handlers that tolerate that, e.g. upserts).
        on_progress: called with the progress (done/total, rate, ETA) as it goes.

    Raises:
        DatabaseNotMigrated: run ``walnats db upgrade`` first.
        walnats.ConfigError: both *from_seq* and *from_time*, or a naive *from_time*.
        ProjectionStopped: a poison event stopped the rebuild (``on_poison="stop"``).
    """
    chosen = [projections] if isinstance(projections, Projection) else list(projections)
    if from_seq is not None and from_time is not None:
        raise walnats.ConfigError("replay takes from_seq or from_time, not both")
    if from_time is not None and from_time.tzinfo is None:
        raise walnats.ConfigError(
            f"from_time must be time-zone aware (e.g. 2026-03-01T12:00:00+00:00), got {from_time}"
        )
    database = as_database(db)
    try:
        await check_database(database)
        options = _Options(from_seq, from_time, reset, on_progress, lease)
        async with _client(nc, url) as client:
            return [await _replay_one(p, client, database, options) for p in chosen]
    finally:
        if database is not db:
            await database.close()


@asynccontextmanager
async def _client(nc: Client | None, url: str | None) -> AsyncIterator[Client]:
    if nc is not None:
        yield nc
        return
    async with walnats.Events().connect(url) as conn:
        yield conn.client


@dataclass(frozen=True, slots=True)
class _Options:
    from_seq: int | Mapping[str, int] | None
    from_time: datetime | None
    reset: bool
    on_progress: Callable[[Progress], None] | None
    lease: float


async def _replay_one(
    projection: Projection, nc: Client, db: Database, options: _Options
) -> ReplayReport:
    p = projection
    lease = options.lease
    owner = claims.new_owner("replay")
    started = time.monotonic()
    try:
        async with db.transaction() as session:
            await checkpoints.ensure_version(session, p)
        for partition in range(p.partitions):
            async with db.transaction() as session:
                key = p.partition_key(partition)
                await claims.take(session, key, owner, lease=lease, force=True)
        starts = {
            stream: await _start(nc, stream, options.from_seq, options.from_time)
            for stream in p.streams
        }
        try:
            async with db.transaction() as session:
                for partition in range(p.partitions):
                    await claims.renew(session, p.partition_key(partition), owner, lease=lease)
                if options.reset:
                    for table in p.tables:
                        await session.execute(sa.delete(table))
                    if p.reset is not None:
                        await p.reset(session)
                await checkpoints.reset_checkpoints(session, p, starts)
                await claims.reset_caught_up(session, p.name, p.version)
                await checkpoints.set_status(session, p.name, p.version, "rebuilding")
        except ProjectionError:
            raise
        except Exception as exc:
            raise ProjectionError(
                f"cannot reset the read model of projection {p.name!r} ({type(exc).__name__}: "
                f"{' '.join(str(exc).split())[:300]}); nothing was changed. Do its tables "
                f"exist (your read-model migrations), and is the database reachable?"
            ) from exc
        logger.info(
            "projection %s v%d: replaying from %s",
            p.name,
            p.version,
            ", ".join(f"{s} sequence {n}" for s, n in starts.items()),
        )
        meter = ProgressMeter(p.name, p.version, options.on_progress)
        workers = [
            PartitionWorker(
                p,
                k,
                nc,
                db,
                owner,
                lease=lease,
                replaying=True,
                until_caught_up=True,
                on_commit=meter.update,
            )
            for k in range(p.partitions)
        ]
        meter.workers = workers
        await asyncio.gather(*(worker.run() for worker in workers))
        final = meter.finish()
    finally:
        with contextlib.suppress(Exception):
            async with db.transaction() as session:
                for partition in range(p.partitions):
                    await claims.release(session, p.partition_key(partition), owner)
        claims.forget_owner(owner)
    seconds = time.monotonic() - started
    applied = sum(w.applied for w in workers)
    logger.info("projection %s v%d: replayed %s", p.name, p.version, final)
    return ReplayReport(p.name, p.version, starts, final.done, applied, seconds)


async def _start(
    nc: Client,
    stream: str,
    from_seq: int | Mapping[str, int] | None,
    from_time: datetime | None,
) -> int:
    if from_time is not None:
        return await sequence_at(nc, stream, from_time)
    if from_seq is None:
        return 1
    start = from_seq if isinstance(from_seq, int) else from_seq.get(stream, 1)
    if isinstance(start, bool) or not isinstance(start, int) or start < 1:
        raise walnats.ConfigError(f"from_seq must be an int >= 1, got {start!r}")
    return start


async def sequence_at(nc: Client, stream: str, when: datetime) -> int:
    """The sequence of the first message *stream* stored at or after *when*.

    One past the last sequence when nothing is that recent. Needs nats-server 2.11.
    """
    stamp = when.astimezone(UTC).isoformat().replace("+00:00", "Z")
    request = json.dumps({"start_time": stamp}).encode()
    reply = await nc.request(f"$JS.API.STREAM.MSG.GET.{stream}", request, timeout=5.0)
    answer = json.loads(reply.data or b"{}")
    error = answer.get("error")
    if error is None:
        return int(answer["message"]["seq"])
    if error.get("code") == 404 and error.get("err_code") == 10037:  # no message found
        info = await nc.jetstream().stream_info(stream)
        return int(info.state.last_seq or 0) + 1
    if error.get("err_code") == 10059:
        raise walnats.StreamNotFound(f"stream {stream!r} does not exist")
    raise walnats.StreamError(
        f"cannot find the first event of {stream!r} at or after {stamp}: "
        f"{error.get('description', error)} (replaying from a time needs nats-server 2.11+)"
    )
