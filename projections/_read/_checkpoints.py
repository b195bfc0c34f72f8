"""Checkpoint rows and projection metadata rows, read and written inside transactions.

Every write here runs in the caller's transaction: the batch transaction that also
holds the read-model changes, or the reset transaction of a replay. Advancing a
checkpoint is a compare-and-set (``WHERE sequence = <the value this worker read>``),
so a commit whose outcome was lost in a database outage, or a replay that moved the
checkpoint meanwhile, is detected instead of applied twice.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import sqlalchemy as sa

from ._database import insert_new
from ._errors import ProjectionError
from ._tables import PartitionKey, checkpoint_table, projection_table

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from ._projection import Projection

__all__ = [
    "CheckpointMoved",
    "Status",
    "VersionRow",
    "active_version",
    "advance",
    "ensure_version",
    "load_checkpoints",
    "reset_checkpoints",
    "set_active",
    "set_status",
    "versions_of",
]

Status = Literal["building", "live", "rebuilding", "stopped"]


class CheckpointMoved(Exception):
    """The checkpoint row is not where this worker left it (internal)."""


@dataclass(frozen=True, slots=True)
class VersionRow:
    """The metadata row of one projection version."""

    name: str
    version: int
    partitions: int
    status: str
    active: bool
    error: str | None
    created_at: float
    updated_at: float
    caught_up_at: float | None


async def load_checkpoints(
    session: AsyncSession, name: str, version: int, partition: int | None = None
) -> dict[tuple[int, str], int]:
    """``{(partition, stream): sequence}`` of one version (or one of its partitions)."""
    t = checkpoint_table
    query = sa.select(t.c.partition, t.c.stream, t.c.sequence).where(
        t.c.projection == name, t.c.version == version
    )
    if partition is not None:
        query = query.where(t.c.partition == partition)
    rows = await session.execute(query)
    return {(row.partition, row.stream): int(row.sequence) for row in rows}


async def advance(
    session: AsyncSession, key: PartitionKey, stream: str, *, old: int | None, new: int
) -> None:
    """Move one checkpoint from *old* (``None``: no row yet) to *new*.

    Raises:
        CheckpointMoved: the row is not at *old*.
    """
    t = checkpoint_table
    now = time.time()
    name, version, partition = key.projection, key.version, key.partition
    if old is None:
        row = {"projection": name, "version": version, "partition": partition, "stream": stream}
        if not await insert_new(session, t, {**row, "sequence": new, "updated_at": now}):
            raise CheckpointMoved(stream)
        return
    result = await session.execute(
        sa.update(t)
        .where(
            t.c.projection == name,
            t.c.version == version,
            t.c.partition == partition,
            t.c.stream == stream,
            t.c.sequence == old,
        )
        .values(sequence=new, updated_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise CheckpointMoved(stream)


async def reset_checkpoints(
    session: AsyncSession, projection: Projection, starts: Mapping[str, int]
) -> None:
    """Set every partition's checkpoint of *stream* to ``starts[stream] - 1``."""
    t = checkpoint_table
    await session.execute(
        sa.delete(t).where(t.c.projection == projection.name, t.c.version == projection.version)
    )
    now = time.time()
    rows = [
        {
            "projection": projection.name,
            "version": projection.version,
            "partition": partition,
            "stream": stream,
            "sequence": max(start - 1, 0),
            "updated_at": now,
        }
        for partition in range(projection.partitions)
        for stream, start in starts.items()
    ]
    if rows:
        await session.execute(sa.insert(t), rows)


async def ensure_version(session: AsyncSession, projection: Projection) -> VersionRow:
    """The metadata row of *projection*'s version, created (``building``) when missing.

    Raises:
        ProjectionError: the version exists with another number of partitions.
    """
    row = await _version(session, projection.name, projection.version)
    if row is None:
        now = time.time()
        values = {
            "name": projection.name,
            "version": projection.version,
            "partitions": projection.partitions,
            "status": "building",
            "active": False,
            "error": None,
            "created_at": now,
            "updated_at": now,
            "caught_up_at": None,
        }
        await insert_new(session, projection_table, values)  # or another worker did
        row = await _version(session, projection.name, projection.version)
        assert row is not None
    if row.partitions != projection.partitions:
        raise ProjectionError(
            f"projection {projection.name!r} version {projection.version} was built with "
            f"{row.partitions} partition(s), but is declared with {projection.partitions}. "
            f"Partitioning decides which checkpoint covers which events: build a new "
            f"version (version={projection.version + 1}) with the new partitions."
        )
    return row


async def _version(session: AsyncSession, name: str, version: int) -> VersionRow | None:
    t = projection_table
    row = (
        await session.execute(sa.select(t).where(t.c.name == name, t.c.version == version))
    ).first()
    return None if row is None else VersionRow(**row._asdict())


async def versions_of(session: AsyncSession, name: str) -> list[VersionRow]:
    """Every recorded version of projection *name*, oldest first."""
    t = projection_table
    rows = await session.execute(sa.select(t).where(t.c.name == name).order_by(t.c.version))
    return [VersionRow(**row._asdict()) for row in rows]


async def set_status(
    session: AsyncSession,
    name: str,
    version: int,
    status: Status,
    *,
    error: str | None = None,
    caught_up: bool = False,
) -> None:
    """Record a version's status (and the error that stopped it, if any)."""
    t = projection_table
    now = time.time()
    values: dict[str, object] = {"status": status, "error": error, "updated_at": now}
    if caught_up:
        values["caught_up_at"] = now
    await session.execute(
        sa.update(t).where(t.c.name == name, t.c.version == version).values(**values)
    )


async def active_version(session: AsyncSession, name: str) -> int | None:
    """The version of *name* readers use now, if any."""
    t = projection_table
    found = await session.scalar(
        sa.select(t.c.version).where(t.c.name == name, t.c.active.is_(True))
    )
    return None if found is None else int(found)


async def set_active(session: AsyncSession, name: str, version: int) -> None:
    """Make *version* the one readers should use, and no other version of *name*."""
    t = projection_table
    now = time.time()
    await session.execute(
        sa.update(t)
        .where(t.c.name == name, t.c.version != version, t.c.active.is_(True))
        .values(active=False, updated_at=now)
    )
    await session.execute(
        sa.update(t).where(t.c.name == name, t.c.version == version).values(active=True)
    )
