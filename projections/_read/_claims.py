"""Which worker runs a projection partition: a lease row, renewed in every batch.

Only the holder of a partition's claim touches its consumer and its checkpoints, and
every batch transaction renews the claim first (``UPDATE ... WHERE owner = me``): a
worker that lost its claim (it hung past the lease, or a replay took over) finds out
inside the very transaction that would have applied events, and rolls it back. That
fencing, not the lease timing, is what keeps two workers from applying the same
events; clock skew between hosts only delays a takeover.

A worker killed on this host is detected at once (its process id is gone), so a
restarted worker does not wait for the lease to run out.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ._database import insert_new
from ._errors import ClaimLost
from ._tables import PartitionKey, claim_table

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "Claim",
    "forget_owner",
    "holder",
    "mark_caught_up",
    "new_owner",
    "release",
    "renew",
    "reset_caught_up",
    "take",
]

_HOST = socket.gethostname()
_LIVE: set[str] = set()
"""Owners alive in this process (several runners may share a process)."""


def new_owner(kind: str = "worker") -> str:
    """A unique owner id, ``<kind>:<host>:<pid>:<nonce>``, alive until :func:`forget_owner`."""
    owner = f"{kind}:{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    _LIVE.add(owner)
    return owner


def forget_owner(owner: str) -> None:
    """Mark *owner* as ended: its claims may be taken at once by this process."""
    _LIVE.discard(owner)


@dataclass(frozen=True, slots=True)
class Claim:
    """One partition's claim row."""

    owner: str
    expires_at: float


def _where(key: PartitionKey) -> sa.ColumnElement[bool]:
    t = claim_table
    return sa.and_(
        t.c.projection == key.projection, t.c.version == key.version, t.c.partition == key.partition
    )


async def holder(session: AsyncSession, key: PartitionKey) -> Claim | None:
    """The current claim row of a partition, if any."""
    t = claim_table
    row = (await session.execute(sa.select(t.c.owner, t.c.expires_at).where(_where(key)))).first()
    return None if row is None else Claim(row.owner, float(row.expires_at))


async def take(
    session: AsyncSession, key: PartitionKey, owner: str, *, lease: float, force: bool = False
) -> bool:
    """Claim a partition if it is free, expired, held by a dead local process, or *force*.

    Returns whether *owner* holds the claim now.
    """
    t = claim_table
    now = time.time()
    current = await holder(session, key)
    if current is None:
        row = {"projection": key.projection, "version": key.version, "partition": key.partition}
        return await insert_new(session, t, {**row, "owner": owner, "expires_at": now + lease})
    free = current.owner == owner or current.expires_at < now or _dead(current.owner)
    if not (free or force):
        return False
    result = await session.execute(
        sa.update(t)
        .where(
            _where(key),
            t.c.owner == current.owner,
            t.c.expires_at == current.expires_at,
        )
        .values(owner=owner, expires_at=now + lease)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def renew(session: AsyncSession, key: PartitionKey, owner: str, *, lease: float) -> None:
    """Extend *owner*'s claim; the fencing step at the start of every batch.

    Raises:
        ClaimLost: someone else holds the partition now.
    """
    t = claim_table
    result = await session.execute(
        sa.update(t).where(_where(key), t.c.owner == owner).values(expires_at=time.time() + lease)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ClaimLost(f"{key}: claim lost by {owner}")


async def release(session: AsyncSession, key: PartitionKey, owner: str) -> None:
    """Give a partition up at once, so a standby worker takes it without waiting."""
    t = claim_table
    await session.execute(
        sa.update(t).where(_where(key), t.c.owner == owner).values(expires_at=0.0)
    )


async def mark_caught_up(
    session: AsyncSession, key: PartitionKey, owner: str, *, partitions: int
) -> bool:
    """Record that a partition caught up; returns whether every partition has now."""
    t = claim_table
    await session.execute(
        sa.update(t).where(_where(key), t.c.owner == owner).values(caught_up_at=time.time())
    )
    done = await session.scalar(
        sa.select(sa.func.count())
        .select_from(t)
        .where(
            t.c.projection == key.projection,
            t.c.version == key.version,
            t.c.caught_up_at.is_not(None),
        )
    )
    return done == partitions


async def reset_caught_up(session: AsyncSession, name: str, version: int) -> None:
    """Forget that the partitions of a version caught up (before a rebuild)."""
    t = claim_table
    await session.execute(
        sa.update(t).where(t.c.projection == name, t.c.version == version).values(caught_up_at=None)
    )


def _dead(owner: str) -> bool:
    """Whether *owner* is a process of this host that no longer runs."""
    parts = owner.split(":")
    if len(parts) != 4 or parts[1] != _HOST:
        return False
    try:
        pid = int(parts[2])
    except ValueError:
        return False
    if pid == os.getpid():
        # this process, or an earlier one with the same id (pid 1 in a restarted container)
        return owner not in _LIVE
    with contextlib.suppress(PermissionError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
    return False
