"""Moving a projection version between ``building``, ``live`` and ``stopped``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from . import _checkpoints as checkpoints
from . import _claims as claims

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from ._database import Database
    from ._projection import Projection
    from ._tables import PartitionKey

__all__ = ["caught_up", "record_stop", "reopen"]

logger = logging.getLogger("walnats.projections")


async def caught_up(
    session: AsyncSession, projection: Projection, key: PartitionKey, owner: str
) -> None:
    """Record that a partition caught up, in its batch transaction.

    The last partition to catch up makes the version ``live`` and, with
    ``activate="when-caught-up"``, the active one, unless a newer version already
    is: blue/green switches only go forward, so restarting an old version never
    takes readers back to it.
    """
    p = projection
    every = await claims.mark_caught_up(session, key, owner, partitions=p.partitions)
    if not every:
        return
    await checkpoints.set_status(session, p.name, p.version, "live", caught_up=True)
    active = await checkpoints.active_version(session, p.name)
    if p.activate == "when-caught-up" and (active is None or active < p.version):
        await checkpoints.set_active(session, p.name, p.version)
        logger.info("projection %s v%d caught up and is now the active version", p.name, p.version)
    else:
        logger.info("projection %s v%d caught up with the log", p.name, p.version)


async def reopen(session: AsyncSession, projection: Projection) -> None:
    """Register the version (``building``) or, after a stop, take it out of ``stopped``.

    A restart after a fix tries the poison event again; if it still fails, the
    version is stopped again.

    Raises:
        ProjectionError: the version exists with another number of partitions.
    """
    p = projection
    row = await checkpoints.ensure_version(session, p)
    if row.status == "stopped":
        status: checkpoints.Status = "live" if row.caught_up_at else "building"
        await checkpoints.set_status(session, p.name, p.version, status)


async def record_stop(db: Database, projection: Projection, error: str) -> None:
    """Mark the version ``stopped`` with *error* (best effort: the stop is also logged)."""
    p = projection
    try:
        async with db.transaction() as session:
            await checkpoints.set_status(session, p.name, p.version, "stopped", error=error)
    except Exception:
        logger.exception("projection %s v%d: cannot record the stop", p.name, p.version)
