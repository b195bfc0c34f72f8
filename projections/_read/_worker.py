"""Applying one partition of one projection, while holding its claim.

The loop: collect a batch from the partition's stream feeds, apply it and advance the
checkpoints in one transaction (which first renews the claim: the fencing step), then
acknowledge. Failures never lose or reorder events:

* the database is unavailable (or its schema does not match): the same batch is
  retried until it commits, with a log line per attempt; the next transaction first
  checks that the checkpoint is still where this worker left it, in case the lost
  commit had in fact succeeded;
* a handler fails: the batch is rolled back and its events are applied one per
  transaction, with the projection's retry policy, to find the poison event; that
  one is dead-lettered and skipped, or stops the projection (``on_poison``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import _checkpoints as checkpoints
from . import _claims as claims
from ._database import blames_database
from ._delivery import Delivery
from ._errors import ClaimLost
from ._feed import StreamFeed
from ._handlers import apply_calls
from ._isolate import apply_batch
from ._status import caught_up
from ._steps import Step, prepare
from ._streams import check_stream, take_batch

if TYPE_CHECKING:
    from nats.aio.client import Client
    from sqlalchemy.ext.asyncio import AsyncSession

    from ._database import Database
    from ._projection import Projection

__all__ = ["PartitionWorker"]

logger = logging.getLogger("walnats.projections")


class PartitionWorker:
    """Applies one partition of a projection until stopped (or, for replays, caught up)."""

    def __init__(
        self,
        projection: Projection,
        partition: int,
        nc: Client,
        db: Database,
        owner: str,
        *,
        lease: float,
        replaying: bool = False,
        until_caught_up: bool = False,
        on_commit: Callable[[PartitionWorker], None] | None = None,
    ) -> None:
        self.projection = projection
        self.partition = partition
        self.owner = owner
        self.key = projection.partition_key(partition)
        self.replaying = replaying
        self.checkpoints: dict[str, int] = {}
        """Per stream, the last sequence this partition applied (committed)."""
        self.caught_up = False
        self.done = 0
        """Messages committed (applied or stepped over) since the worker started."""
        self.applied = 0
        """Handler calls committed since the worker started."""
        self.expected = 0
        """Matching messages after the checkpoints when the worker started (progress)."""
        self.nc = nc
        self.lease = lease
        self._js = nc.jetstream()
        self.db = db
        self._until = until_caught_up
        self._on_commit = on_commit
        self._rows: set[str] = set()
        self.verify_next = False
        """Check at the next commit that the checkpoint is where this worker left it
        (after a database failure: the lost commit may have succeeded)."""
        self._stopping = False
        self._stop_event = asyncio.Event()
        self._wake = asyncio.Event()
        self._feeds: dict[str, StreamFeed] = {}
        self.name = f"{projection.name} v{projection.version}" + (
            f" partition {partition}" if projection.partitions > 1 else ""
        )

    @property
    def total(self) -> int:
        """Matching messages in the log after the checkpoints when the feeds opened."""
        return sum(feed.total for feed in self._feeds.values())

    def stop(self) -> None:
        """Finish the batch under way, then return from :meth:`run`."""
        self._stopping = True
        self._stop_event.set()
        self._wake.set()

    def is_stopping(self) -> bool:
        """Whether :meth:`stop` was called: retry loops give up (nothing is committed)."""
        return self._stopping

    async def pause(self, delay: float) -> None:
        """Sleep *delay* seconds, or less if the worker is stopped meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), delay)

    async def run(self) -> None:
        """Open the feeds at the checkpoints and apply batches until stopped.

        Raises:
            ClaimLost: another worker (or a replay) took the partition over.
            ProjectionStopped: a poison event stopped the projection.
        """
        try:
            await self._load()
            for stream in self.projection.streams:
                await self._open(stream)
            self.expected = self.total
            if all(feed.total == 0 for feed in self._feeds.values()):
                async with self.db.transaction() as session:  # nothing to apply: caught up
                    await claims.renew(session, self.key, self.owner, lease=self.lease)
                    await caught_up(session, self.projection, self.key, self.owner)
                self.caught_up = True
            while not self._stopping and not (self._until and self.caught_up):
                batch = await self._collect()
                if batch is None:
                    await self._heartbeat()
                    continue
                p, k = self.projection, self.partition
                try:
                    steps = prepare(p, k, batch, self.checkpoints, replaying=self.replaying)
                    await apply_batch(self, steps)
                except checkpoints.CheckpointMoved:
                    logger.info("projection %s: checkpoint moved; re-reading it", self.name)
                    await self._resync()
        finally:
            for feed in self._feeds.values():
                await feed.close()

    # ------------------------------------------------------------------ opening

    async def _load(self) -> None:
        p = self.projection
        async with self.db.transaction() as session:
            await claims.renew(session, self.key, self.owner, lease=self.lease)
            rows = await checkpoints.load_checkpoints(session, p.name, p.version, self.partition)
        self.checkpoints = {stream: rows.get((self.partition, stream), 0) for stream in p.streams}
        self._rows = {stream for (_, stream) in rows}
        self.verify_next = False

    async def _open(self, stream: str) -> None:
        p = self.projection
        checkpoint = self.checkpoints[stream]
        await check_stream(self.nc, p, stream, checkpoint, self.name)
        feed = self._feeds.get(stream)
        if feed is None:
            feed = StreamFeed(
                self.nc,
                self._js,
                stream,
                p.consumer_name(self.partition),
                p.filters(stream),
                window=2 * p.batch_size,
                description=f"walnats projection {p.name} v{p.version}",
                on_change=self._wake.set,
            )
            self._feeds[stream] = feed
        await feed.open(checkpoint + 1)

    async def _resync(self) -> None:
        """Reload the checkpoints from the database and re-open every feed after them."""
        await self._load()
        for stream in self.projection.streams:
            await self._open(stream)

    # ------------------------------------------------------------------ batches

    async def _collect(self) -> list[Delivery] | None:
        """The next batch, or ``None`` when nothing came within a third of the lease."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.lease / 3
        feeds = list(self._feeds.values())
        while True:
            for feed in feeds:
                if feed.broken is not None:
                    logger.info(
                        "projection %s: re-reading %s: %s", self.name, feed.stream, feed.broken
                    )
                    await self._reopen(feed)
            if self._stopping:
                return None
            if any(feed.buffer for feed in feeds):
                break
            self._wake.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self._wake.wait(), min(remaining, 1.0))
            except TimeoutError:
                for feed in feeds:
                    await feed.watch()
        size = self.projection.batch_size
        if self.projection.flush_interval:
            until = loop.time() + self.projection.flush_interval
            while sum(len(f.buffer) for f in feeds) < size and loop.time() < until:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), until - loop.time())
                except TimeoutError:
                    break
        for feed in feeds:
            if feed.unverified:
                await feed.verify_first()
        batch = take_batch(feeds, size)
        for feed in feeds:
            await feed.pull()
        return batch or None

    async def _reopen(self, feed: StreamFeed) -> None:
        await self.renew()
        await feed.open(self.checkpoints[feed.stream] + 1)

    async def renew(self) -> None:
        """Renew the claim in a transaction of its own (while idle or waiting).

        Raises:
            ClaimLost: someone else holds the partition now.
        """
        async with self.db.transaction() as session:
            await claims.renew(session, self.key, self.owner, lease=self.lease)

    async def _heartbeat(self) -> None:
        try:
            await self.renew()
        except ClaimLost:
            raise
        except Exception as exc:
            if not blames_database(exc):
                raise
            logger.warning("projection %s: cannot renew its claim: %s", self.name, exc)

    async def commit(self, steps: list[Step]) -> None:
        """Apply *steps* and advance the checkpoints in one transaction, then ack."""
        last: dict[str, Delivery] = {}
        for step in steps:
            last[step.delivery.stream] = step.delivery
        now_caught_up = not self.caught_up and self._would_catch_up(steps)
        async with self.db.transaction() as session:
            await claims.renew(session, self.key, self.owner, lease=self.lease)
            if self.verify_next:
                await self._check_unchanged(session)
            await apply_calls(
                session,
                (
                    call
                    for step in steps
                    if step.delivery.sequence > self.checkpoints[step.delivery.stream]
                    for call in step.calls
                ),
            )
            for stream, delivery in last.items():
                old = self.checkpoints[stream] if stream in self._rows else None
                new = max(delivery.sequence, self.checkpoints[stream])
                await checkpoints.advance(session, self.key, stream, old=old, new=new)
            if now_caught_up:
                await caught_up(session, self.projection, self.key, self.owner)
        for stream, delivery in last.items():
            self.checkpoints[stream] = max(delivery.sequence, self.checkpoints[stream])
            self._rows.add(stream)
            feed = self._feeds[stream]
            feed.committed += sum(1 for s in steps if s.delivery.stream == stream)
            await feed.ack(delivery)
        self.done += len(steps)
        self.applied += sum(len(step.calls) for step in steps)
        if now_caught_up:
            self.caught_up = True
        if self._on_commit is not None:
            self._on_commit(self)

    async def _check_unchanged(self, session: AsyncSession) -> None:
        p = self.projection
        rows = await checkpoints.load_checkpoints(session, p.name, p.version, self.partition)
        for stream, sequence in self.checkpoints.items():
            if rows.get((self.partition, stream), 0) != sequence:
                raise checkpoints.CheckpointMoved(stream)
        self.verify_next = False

    def _would_catch_up(self, steps: list[Step]) -> bool:
        for stream, feed in self._feeds.items():
            taken = sum(1 for s in steps if s.delivery.stream == stream)
            if feed.committed + taken < feed.total:
                return False
        return True
