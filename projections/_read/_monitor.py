"""How far behind a projection is, which version is active, and what its status is.

Everything here reads the database and the stream; nothing needs the runner, so a
web process, ``walnats status`` or a health check can ask from anywhere.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from nats.js.errors import NotFoundError
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from . import _checkpoints as checkpoints
from . import _claims as claims
from ._database import Database, as_database
from ._tables import checkpoint_table, claim_table, projection_table

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js import JetStreamContext

    from ._projection import Projection

__all__ = [
    "Lag",
    "ProjectionStatus",
    "activate_version",
    "active_version",
    "last_sequence",
    "projection_lag",
    "projection_status",
    "retire_version",
]

DB = Database | AsyncEngine | str | URL | None


@dataclass(frozen=True, slots=True)
class Lag:
    """How far one stream is ahead of a projection."""

    stream: str
    checkpoint: int
    """The sequence every partition has applied (the minimum over partitions)."""
    last_sequence: int
    """The last sequence in the stream holding an event the projection reads."""

    @property
    def behind(self) -> int:
        """``last_sequence - checkpoint`` (in sequences; 0 when caught up)."""
        return max(self.last_sequence - self.checkpoint, 0)


@dataclass(frozen=True, slots=True)
class ProjectionStatus:
    """One projection version as ``walnats status`` shows it."""

    name: str
    version: int
    status: str
    """``building`` (never caught up), ``live``, ``rebuilding`` (a replay runs),
    ``stopped`` (a poison event; see *error*), or ``unknown`` (never started)."""
    active: bool
    """Whether readers should use this version (blue/green)."""
    partitions: int
    lag: tuple[Lag, ...]
    owners: tuple[str | None, ...]
    """Per partition, the worker holding its claim now (``None``: nobody)."""
    error: str | None = None

    @property
    def behind(self) -> int:
        """The largest lag over the streams."""
        return max((lag.behind for lag in self.lag), default=0)


async def last_sequence(js: JetStreamContext, stream: str, filters: list[str]) -> int:
    """The last sequence in *stream* on one of *filters* (0 when there is none)."""
    found = 0
    for subject in filters:
        try:
            message = await js.get_msg(stream, subject=subject)
        except NotFoundError:
            continue
        found = max(found, message.seq or 0)
    return found


async def projection_lag(projection: Projection, nc: Client, db: DB = None) -> list[Lag]:
    """Per stream, the projection's checkpoint and the last event it will apply."""
    database = as_database(db)
    try:
        async with database.reading() as session:
            rows = await checkpoints.load_checkpoints(session, projection.name, projection.version)
    finally:
        if database is not db:
            await database.close()
    js = nc.jetstream()
    lags = []
    for stream in projection.streams:
        applied = min(rows.get((k, stream), 0) for k in range(projection.partitions))
        last = await last_sequence(js, stream, projection.filters(stream))
        lags.append(Lag(stream, applied, last))
    return lags


async def projection_status(projection: Projection, nc: Client, db: DB = None) -> ProjectionStatus:
    """Status, lag and claim owners of *projection*'s version (for ``walnats status``)."""
    database = as_database(db)
    try:
        async with database.reading() as session:
            t = projection_table
            row = (
                await session.execute(
                    sa.select(t).where(
                        t.c.name == projection.name, t.c.version == projection.version
                    )
                )
            ).first()
            owners = []
            now = time.time()
            for partition in range(projection.partitions):
                held = await claims.holder(session, projection.partition_key(partition))
                owners.append(held.owner if held and held.expires_at > now else None)
        lag = await projection_lag(projection, nc, database)
    finally:
        if database is not db:
            await database.close()
    return ProjectionStatus(
        name=projection.name,
        version=projection.version,
        status=row.status if row else "unknown",
        active=bool(row.active) if row else False,
        partitions=projection.partitions,
        lag=tuple(lag),
        owners=tuple(owners),
        error=row.error if row else None,
    )


async def active_version(name: str, db: DB = None) -> int | None:
    """The version of projection *name* readers should use now (``None``: none yet).

    With blue/green versions, pick the tables by it::

        version = await projections.active_version("order-summary", engine)
        table = ORDER_SUMMARY_TABLES[version]
    """
    database = as_database(db)
    try:
        async with database.reading() as session:
            return await checkpoints.active_version(session, name)
    finally:
        if database is not db:
            await database.close()


async def activate_version(name: str, version: int, db: DB = None) -> None:
    """Switch readers of projection *name* to *version* (``activate="manual"``)."""
    database = as_database(db)
    try:
        async with database.transaction() as session:
            await checkpoints.set_active(session, name, version)
    finally:
        if database is not db:
            await database.close()


async def retire_version(projection: Projection, nc: Client, db: DB = None) -> None:
    """Forget an old version: its metadata, checkpoints and claims, and its consumers.

    Stop its runners first. Its tables are yours: drop them in a migration.
    """
    database = as_database(db)
    name, version = projection.name, projection.version
    try:
        async with database.transaction() as session:
            for table in (checkpoint_table, claim_table):
                await session.execute(
                    sa.delete(table).where(table.c.projection == name, table.c.version == version)
                )
            t = projection_table
            await session.execute(sa.delete(t).where(t.c.name == name, t.c.version == version))
    finally:
        if database is not db:
            await database.close()
    js = nc.jetstream()
    for stream in projection.streams:
        for partition in range(projection.partitions):
            with contextlib.suppress(NotFoundError):
                await js.delete_consumer(stream, projection.consumer_name(partition))
