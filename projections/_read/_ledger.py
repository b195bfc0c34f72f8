"""The reactor ledger and horizons, and running reactors as walnats actors."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from nats.js.errors import NotFoundError

import walnats

from ._core import stream_spec
from ._database import Database, as_database, blames_database, insert_new
from ._reactor import Reactor, ReactorContext, event_key
from ._tables import ledger_table, reactor_table

if TYPE_CHECKING:
    from nats.aio.client import Client
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

__all__ = ["as_actor", "horizon_of", "prune_ledger", "rewind_reactor"]

logger = logging.getLogger("walnats.projections")


async def _stream_end(nc: Client, event: walnats.BaseEvent[Any, Any]) -> int:
    js = nc.jetstream()
    try:
        info = await js.stream_info(event.stream_name)
    except NotFoundError:
        if event.aggregate is not None:
            raise walnats.StreamNotFound(
                f"stream {event.stream_name!r} of event {event.name!r} does not exist; "
                f"register the aggregate first: `await store.register()`"
            ) from None
        await walnats.ensure_stream(js, stream_spec(nc, event), update=False)
        return 0
    return int(info.state.last_seq or 0)


async def horizon_of(session: AsyncSession, reactor: Reactor[Any], stream_end: int) -> int:
    """The reactor's horizon, recorded on first use (the stream's end with ``start="new"``)."""
    t = reactor_table
    found = await session.scalar(sa.select(t.c.horizon).where(t.c.name == reactor.name))
    if found is not None:
        return int(found)
    now = time.time()
    horizon = stream_end if reactor.start == "new" else 0
    values = {
        "name": reactor.name,
        "stream": reactor.event.stream_name,
        "horizon": horizon,
        "created_at": now,
        "updated_at": now,
    }
    await insert_new(session, t, values)
    stored = await session.scalar(sa.select(t.c.horizon).where(t.c.name == reactor.name))
    return horizon if stored is None else int(stored)


async def register_horizons(
    reactors: Sequence[Reactor[Any]], nc: Client, db: Database
) -> dict[str, int]:
    """Record (or read) every reactor's horizon; creates missing plain-event streams."""
    horizons = {}
    for reactor in reactors:
        end = await _stream_end(nc, reactor.event)
        async with db.transaction() as session:
            horizons[reactor.name] = await horizon_of(session, reactor, end)
    return horizons


def as_actor(reactor: Reactor[Any], db: Database, horizon: int) -> walnats.Actor[Any, None]:
    """The walnats actor that runs *reactor* with its ledger and horizon."""
    name = reactor.name

    async def react(payload: Any, ctx: walnats.Context[Any]) -> None:
        replaying = ctx.sequence <= horizon
        if replaying and reactor.replay == "skip":
            logger.debug("reactor %s: skipping history %s:%d", name, ctx.stream, ctx.sequence)
            return
        key = event_key(ctx)
        try:
            async with db.transaction() as session:
                values = {
                    "reactor": name,
                    "event_id": key,
                    "stream": ctx.stream,
                    "sequence": ctx.sequence,
                    "handled_at": time.time(),
                }
                if not await insert_new(session, ledger_table, values):
                    logger.info("reactor %s: event %s was handled before; skipped", name, key)
                    return
                await reactor.handler(
                    payload, ReactorContext(name, ctx, session, replaying=replaying)
                )
        except Exception as exc:
            if blames_database(exc) and not isinstance(exc, walnats.Retry):
                delay = min(2.0**ctx.attempt, 30.0)
                logger.warning("reactor %s: the database failed (%s); retrying", name, exc)
                raise walnats.Retry(delay) from exc
            raise

    return walnats.Actor(
        name,
        reactor.event,
        react,
        description=reactor.description,
        retry=reactor.retry,
        max_jobs=reactor.max_jobs,
        ack_wait=reactor.ack_wait,
        job_timeout=reactor.job_timeout,
    )


async def rewind_reactor(
    reactor: Reactor[Any],
    nc: Client,
    db: Database | AsyncEngine | str | URL | None = None,
) -> int:
    """Make a reactor read its stream again from the start, without re-firing.

    Moves the horizon to the stream's current end (so every event read again is
    history: skipped, or handled with ``ctx.replaying``) and deletes the reactor's
    consumer; the next ``register`` creates it again at the start of the stream.
    Events in the ledger are skipped in any case. Stop the reactor's workers first.
    Returns the new horizon.
    """
    database = as_database(db)
    try:
        end = await _stream_end(nc, reactor.event)
        async with database.transaction() as session:
            await horizon_of(session, reactor, end)
            t = reactor_table
            await session.execute(
                sa.update(t)
                .where(t.c.name == reactor.name)
                .values(horizon=end, updated_at=time.time())
            )
    finally:
        if database is not db:
            await database.close()
    with contextlib.suppress(NotFoundError):
        await nc.jetstream().delete_consumer(reactor.event.stream_name, reactor.name)
    return end


async def prune_ledger(
    db: Database | AsyncEngine | str | URL | None,
    *,
    older_than: float,
    reactor: str | None = None,
) -> int:
    """Delete ledger rows handled more than *older_than* seconds ago; returns how many.

    Keep rows at least as long as an event can be redelivered or re-driven (dead
    letters are kept until purged): a pruned id is no longer deduplicated.
    """
    database = as_database(db)
    t = ledger_table
    try:
        async with database.transaction() as session:
            query = sa.delete(t).where(t.c.handled_at < time.time() - older_than)
            if reactor is not None:
                query = query.where(t.c.reactor == reactor)
            result = await session.execute(query)
            return int(result.rowcount)  # type: ignore[attr-defined]
    finally:
        if database is not db:
            await database.close()
