"""Running a projection in this process: claims, partition workers, read-your-writes.

Start as many processes with the same runner as you like: each partition is applied by
exactly one of them at a time (the holder of its claim), the others stand by and take
over within about a second when the holder stops, or once its lease runs out when it
dies. With ``partitions=1`` this is the single-active mode that keeps one global order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import walnats

from . import _claims as claims
from ._database import Database, as_database, blames_database
from ._errors import ClaimLost, ProjectionError, ProjectionStopped
from ._lifecycle import Lifecycle
from ._migrate import check_database
from ._monitor import Lag, last_sequence, projection_lag
from ._progress import Progress, ProgressMeter
from ._status import reopen
from ._waiting import applied_through, wait_applied
from ._worker import PartitionWorker

if TYPE_CHECKING:
    from nats.aio.client import Client
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncEngine

    from ._projection import Projection

__all__ = ["ProjectionRunner"]

_RELEASE_TIMEOUT = 2.0
"""Seconds a stopping runner spends giving its claims back before leaving them to expire."""

logger = logging.getLogger("walnats.projections")

DEFAULT_LEASE = 30.0
_STANDBY_POLL = 1.0


class ProjectionRunner(Lifecycle):
    """Keeps one projection up to date from the log, in this process.

    ::

        async with projections.ProjectionRunner(ORDER_SUMMARY, conn.client, db) as runner:
            await projections.wait_for_projection(runner, saved)   # read your writes

    It implements :class:`projections.SupportsWaitFor`. Run it under ``async with``, or
    call :meth:`start` / :meth:`stop`, or :meth:`run` until cancelled (``run`` raises
    :class:`ProjectionStopped` when a poison event stopped it, ``on_poison="stop"``).

    Args:
        nc: a connected nats-py client (``conn.client`` of any walnats connection).
        db: an async engine, a URL, or ``None`` for ``$WALNATS_DB``.
        partitions: the partitions this process may run (default: all of them).
        lease: seconds a crashed worker's claim lasts before another takes over (a
            worker killed on the same host is taken over at once).
        on_progress: called (at most 4 times a second) while catching up.
    """

    def __init__(
        self,
        projection: Projection,
        nc: Client,
        db: Database | AsyncEngine | str | URL | None = None,
        *,
        partitions: Iterable[int] | None = None,
        lease: float = DEFAULT_LEASE,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.projection = projection
        chosen = projection.check_partitions(partitions)
        if not lease > 0:
            raise walnats.ConfigError(f"lease must be > 0 seconds, got {lease!r}")
        self._partitions = chosen
        self._nc = nc
        self._js = nc.jetstream()
        self._db_arg = db
        self._db: Database | None = None
        self._lease = lease
        self._owner = ""
        self._meter = ProgressMeter(projection.name, projection.version, on_progress)
        self._workers: dict[int, PartitionWorker] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._failure: ProjectionError | None = None
        self._ended = asyncio.Event()
        self._changed = asyncio.Event()

    @property
    def name(self) -> str:
        """The projection's name (for :class:`projections.SupportsWaitFor`)."""
        return self.projection.name

    @property
    def database(self) -> Database:
        """The database the runner writes to (after :meth:`start`)."""
        if self._db is None:
            raise ProjectionError(f"runner of {self.name!r} is not started")
        return self._db

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Check the database, register the version, start claiming partitions.

        Raises:
            DatabaseNotMigrated: run ``walnats db upgrade`` first.
            ProjectionError: the version exists with another number of partitions.
        """
        self._db = as_database(self._db_arg)
        await check_database(self._db)
        p = self.projection
        async with self._db.transaction() as session:
            await reopen(session, p)
        self._owner = claims.new_owner()
        self._stopping = False
        self._failure = None
        self._ended.clear()
        self._tasks = [
            asyncio.create_task(self._serve(partition), name=f"{p.consumer_name(partition)}")
            for partition in self._partitions
        ]

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the batches under way (up to *timeout*), then give the claims back."""
        self._stopping = True
        for worker in list(self._workers.values()):
            worker.stop()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._db is not None:
            # Unreleased claims expire by themselves (the lease); a release that has to
            # queue behind a busy SQLite writer must not hold up a shutdown.
            with contextlib.suppress(Exception, TimeoutError):
                async with asyncio.timeout(_RELEASE_TIMEOUT), self._db.transaction() as session:
                    for k in self._partitions:
                        await claims.release(session, self.projection.partition_key(k), self._owner)
            if self._db is not self._db_arg:
                await self._db.close()
            self._db = None
        claims.forget_owner(self._owner)
        self._ended.set()

    async def _until_done(self) -> None:
        await self._ended.wait()
        if self._failure is not None:
            raise self._failure  # ProjectionStopped: a poison event stopped it

    async def _serve(self, partition: int) -> None:
        """Claim *partition* (or stand by), apply it, and start over when it is lost."""
        p = self.projection
        label = p.consumer_name(partition)
        standby_logged = False
        failures = claim_failures = 0
        while not self._stopping:
            try:
                async with self.database.transaction() as session:
                    won = await claims.take(
                        session, p.partition_key(partition), self._owner, lease=self._lease
                    )
            except Exception as exc:
                if not blames_database(exc):
                    raise
                claim_failures += 1
                logger.warning("projection %s: cannot take its claim: %s", label, exc)
                await asyncio.sleep(min(0.1 * 2 ** (claim_failures - 1), 5.0))
                continue
            claim_failures = 0
            if not won:
                if not standby_logged:
                    logger.info("projection %s: another worker runs it; standing by", label)
                    standby_logged = True
                await asyncio.sleep(_STANDBY_POLL)
                continue
            standby_logged = False
            worker = PartitionWorker(
                p, partition, self._nc, self.database, self._owner,
                lease=self._lease, on_commit=self._committed,
            )  # fmt: skip
            self._workers[partition] = worker
            self._meter.workers = list(self._workers.values())
            if self._stop_requested():  # stop() ran while the claim was being taken
                worker.stop()
            try:
                await worker.run()
                failures = 0
            except ClaimLost:
                logger.info("projection %s: another worker took over; standing by", label)
            except ProjectionError as error:  # a poison stop (logged), CheckpointAhead, ...
                if not isinstance(error, ProjectionStopped):
                    logger.error("projection %s: %s", label, error)
                self._fail(error)
                return
            except Exception as exc:  # NATS or database trouble: log it, start over
                failures += 1
                delay = min(0.25 * 2 ** (failures - 1), 30.0)
                expected = isinstance(exc, walnats.WalnatsError) or blames_database(exc)
                logger.log(
                    logging.WARNING if expected else logging.ERROR,
                    "projection %s: %s: %s; starting over in %.1fs",
                    label,
                    type(exc).__name__,
                    exc,
                    delay,
                    exc_info=not expected,
                )
                await asyncio.sleep(delay)
            finally:
                self._workers.pop(partition, None)
                self._changed.set()

    def _stop_requested(self) -> bool:
        return self._stopping

    def _fail(self, error: ProjectionError) -> None:
        if self._failure is None:
            self._failure = error
        self._ended.set()

    def _committed(self, worker: PartitionWorker) -> None:
        self._meter.update(worker)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # ------------------------------------------------------------------ waiting

    async def checkpoint(self, stream: str) -> int:
        """The sequence of *stream* every partition has applied (minimum over partitions).

        Read from memory for partitions this process runs, else from the database.
        """
        local = {w.partition: w.checkpoints.get(stream, 0) for w in self._workers.values()}
        return await applied_through(self.database, self.projection, stream, local)

    async def wait_for(self, stream: str, sequence: int, *, timeout: float) -> bool:
        """Wait until this projection has applied *stream* up to *sequence*.

        Returns ``True`` at once when it has, ``False`` after *timeout* seconds. A
        sequence holding an event this projection does not read counts as applied
        once every event it reads before it is. A stream it does not read at all
        returns ``True``.
        """
        return await wait_applied(
            self.projection,
            self._js,
            stream,
            sequence,
            timeout=timeout,
            checkpoint=self.checkpoint,
            changed=lambda: self._changed,
            local=lambda: len(self._workers) == self.projection.partitions,
        )

    async def lag(self) -> list[Lag]:
        """Per stream: the checkpoint, the last event to apply, and how far behind."""
        return await projection_lag(self.projection, self._nc, self.database)

    async def catch_up(self, timeout: float = 30.0) -> None:
        """Wait until the projection has applied every event the log holds now.

        Raises:
            ProjectionLagging: *timeout* passed first.
        """
        from .._errors import ProjectionLagging

        for stream in self.projection.streams:
            last = await last_sequence(self._js, stream, self.projection.filters(stream))
            if last and not await self.wait_for(stream, last, timeout=timeout):
                raise ProjectionLagging(self.name, stream, last, timeout)

    def __repr__(self) -> str:
        return f"<ProjectionRunner {self.name!r} v{self.projection.version}>"
