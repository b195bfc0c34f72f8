"""Running reactors, and everything an app owns at once (``walnats run``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

import walnats

from ._database import Database, as_database
from ._ledger import as_actor, register_horizons
from ._lifecycle import Lifecycle
from ._migrate import check_database, upgrade_database
from ._projection import Projection
from ._reactor import Reactor
from ._runner import DEFAULT_LEASE, ProjectionRunner

if TYPE_CHECKING:
    from nats.aio.client import Client
    from sqlalchemy.engine import URL, Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["ReactorRunner", "serve"]


class ReactorRunner(Lifecycle):
    """Runs reactors in this process, as walnats actors with a ledger.

    ::

        async with projections.ReactorRunner([CONFIRM], conn.client, engine):
            ...   # handling until the block exits
    """

    def __init__(
        self,
        reactors: Sequence[Reactor[Any]],
        nc: Client,
        db: Database | AsyncEngine | str | URL | None = None,
        *,
        middlewares: Sequence[object] = (),
    ) -> None:
        self.reactors = tuple(reactors)
        self._nc = nc
        self._db_arg = db
        self._db: Database | None = None
        self._middlewares = tuple(middlewares)
        self._stack = AsyncExitStack()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Record the horizons, create the consumers, start handling."""
        self._db = as_database(self._db_arg)
        await check_database(self._db)
        horizons = await register_horizons(self.reactors, self._nc, self._db)
        actors = walnats.Actors(*(as_actor(r, self._db, horizons[r.name]) for r in self.reactors))
        conn = await self._stack.enter_async_context(actors.connect(self._nc, close=False))
        await conn.register()
        self._task = asyncio.create_task(conn.listen(middlewares=self._middlewares))

    async def catch_up(self, timeout: float = 30.0) -> None:
        """Wait until every reactor has handled (and acknowledged) all its events.

        Raises:
            TimeoutError: *timeout* passed first.
        """
        js = self._nc.jetstream()
        async with asyncio.timeout(timeout):
            for reactor in self.reactors:
                while True:
                    info = await js.consumer_info(reactor.event.stream_name, reactor.name)
                    if not info.num_pending and not info.num_ack_pending:
                        break
                    await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Let the running handlers finish, then stop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._stack.aclose()
        if self._db is not None and self._db is not self._db_arg:
            await self._db.close()
        self._db = None

    async def _until_done(self) -> None:
        assert self._task is not None
        await self._task


async def serve(
    components: Iterable[object],
    *,
    nc: Client | None = None,
    url: str | None = None,
    db: Database | AsyncEngine | str | URL | None = None,
    upgrade: bool = False,
    create_tables: bool = False,
    lease: float = DEFAULT_LEASE,
) -> None:
    """Run every :class:`Projection` and :class:`Reactor` in *components* until cancelled.

    What ``walnats run`` calls with ``services.owned()``; other components are ignored.
    A projection stopped by a poison event stops alone (it is logged, and its status
    says why); the others keep running.

    Args:
        nc: a connected client, or *url* to connect here (default ``$NATS_URL``).
        db: the database (default ``$WALNATS_DB``).
        upgrade: apply the toolkit migrations first (handy in development; in
            production run ``walnats db upgrade`` as a deployment step).
        create_tables: create the declared ``tables`` of the projections and reactors
            that do not exist yet (development; in production, your migrations do).
    """
    items = list(components)
    found = [c for c in items if isinstance(c, Projection)]
    reactors = [c for c in items if isinstance(c, Reactor)]
    database = as_database(db)
    async with AsyncExitStack() as stack:
        if database is not db:
            stack.push_async_callback(database.close)
        if upgrade:
            await upgrade_database(database)
        await check_database(database)
        if create_tables:
            tables: list[Any] = [t for p in found for t in p.tables]
            tables += [t for r in reactors for t in r.tables]
            async with database.engine.begin() as connection:
                await connection.run_sync(_create, tables)
        if nc is None:
            conn = await stack.enter_async_context(walnats.Events().connect(url))
            nc = conn.client
        tasks = [
            asyncio.create_task(_keep(ProjectionRunner(p, nc, database, lease=lease)))
            for p in found
        ]
        if reactors:
            tasks.append(asyncio.create_task(ReactorRunner(reactors, nc, database).run()))
        if not tasks:
            return
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                if not task.done() and not task.cancelling():
                    task.cancel()
            # each runner stops gracefully (shielded) before the database is closed
            await asyncio.gather(*tasks, return_exceptions=True)


def _create(connection: Connection, tables: list[sa.Table]) -> None:
    for table in tables:
        table.create(connection, checkfirst=True)


async def _keep(runner: ProjectionRunner) -> None:
    """Run one projection; a poison stop ends only this one (it was logged)."""
    from ._errors import ProjectionError

    with contextlib.suppress(ProjectionError):
        await runner.run()
