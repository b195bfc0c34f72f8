"""Scenario 6: a projection applies a filled stream to SQLite and to PostgreSQL.

Both sides do the same SQL work per event and per batch, in two styles:

* ORM: per event, one ``OrderRow`` added to the session (SQLAlchemy sends the batch's
  inserts together when the transaction commits), with ``projections.handle``;
* bulk: per run of events, one ``INSERT`` with a list of parameter sets (one
  ``executemany``), with ``projections.handle_batch``: the style to pick when one
  statement can write many rows;
* per batch of up to 500 events (walnats' default ``batch_size``), one transaction
  that also moves the checkpoint row with a compare-and-set
  (``UPDATE ... WHERE sequence = <old>``), then one ack (``AckPolicy.ALL``).

walnats adds what makes it exactly-once and shareable between processes: the claim
renewal in every batch transaction (fencing), ``BEGIN IMMEDIATE`` on SQLite, the
ordering checks on every delivery and an ``EventMeta`` per event. The targets compare
with scenario 3's raw ``fetch + ack`` (no database at all), run again here so that the
ratios pair rounds of the same run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import projections
import walnats

from .._bench import Bench, BenchmarkError, sink
from .._meter import Sample
from .._payload import OrderPlaced
from .._scenario import Impl, Scenario, Target
from ._consumers import decoder
from ._databases import (
    Backend,
    OrderRow,
    checkpoint_table,
    expect_rows,
    fresh_database,
    order_row,
)
from .consume import RAW, fetch_ack

__all__ = ["BATCH", "SCENARIO", "order_projection"]

BATCH = 500
"""Events per transaction on both sides: ``Projection.batch_size``'s default."""
_ACK_WAIT = 60.0
"""As the projection's own consumers."""

RAW_SQL = {
    "sqlite": "raw fetch + SQL batch, SQLite",
    "postgresql": "raw fetch + SQL batch, PostgreSQL",
}
RAW_BULK = {
    "sqlite": "raw fetch + bulk insert, SQLite",
    "postgresql": "raw fetch + bulk insert, PostgreSQL",
}


def row_values(order: OrderPlaced, sequence: int) -> dict[str, int | str]:
    """The row of one event as parameters of a bulk insert: the same on both sides."""
    return {
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "sku": order.sku,
        "quantity": order.quantity,
        "total_cents": order.price_cents * order.quantity,
        "sequence": sequence,
    }


async def _raw_sql(bench: Bench, n: int, backend: Backend, *, bulk: bool = False) -> Sample:
    """``fetch(500)``, decode, one transaction (rows + checkpoint), one ack per batch."""
    async with (
        fresh_database(backend) as engine,
        bench.stream(f"proj-raw-{backend}", fill=n) as event,
    ):
        consumer = bench.name("raw")
        await bench.admin.jetstream().add_consumer(event.stream_name, batch_consumer(consumer))
        async with engine.begin() as connection:
            await connection.execute(checkpoint_table.insert().values(name=consumer, sequence=0))
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        nc = await bench.connect()
        try:
            meter = bench.meter()
            meter.start()
            await apply_batches(nc, event.stream_name, consumer, n, sessions, bulk=bulk)
            await nc.flush()
            sample = await meter.stop(n)
        finally:
            await nc.close()
        await bench.expect_acked(event, consumer)
        await expect_rows(engine, n)
    return sample


def batch_consumer(name: str) -> ConsumerConfig:
    """A durable pull consumer acknowledged once per batch, like a projection's."""
    return ConsumerConfig(
        durable_name=name,
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.ALL,
        ack_wait=_ACK_WAIT,
        max_deliver=-1,
        max_ack_pending=8 * BATCH,
    )


async def apply_batches(
    nc: Client,
    stream: str,
    consumer: str,
    n: int,
    sessions: async_sessionmaker[AsyncSession],
    *,
    bulk: bool = False,
) -> None:
    """The hand-written projection: what a careful user writes on nats-py's helpers."""
    psub = await nc.jetstream().pull_subscribe_bind(consumer, stream)
    decode = decoder()
    t = checkpoint_table
    done = checkpoint = 0
    try:
        while done < n:
            try:
                msgs = await psub.fetch(batch=min(BATCH, n - done), timeout=1.0)
            except NatsTimeoutError:
                continue
            last = msgs[-1].metadata.sequence.stream
            async with sessions() as session, session.begin():
                if bulk:
                    values = [row_values(decode(m.data), m.metadata.sequence.stream) for m in msgs]
                    await session.execute(insert(OrderRow), values)
                else:
                    session.add_all(
                        [order_row(decode(m.data), m.metadata.sequence.stream) for m in msgs]
                    )
                moved = await session.execute(
                    update(t)
                    .where(t.c.name == consumer, t.c.sequence == checkpoint)
                    .values(sequence=last)
                )
                if moved.rowcount != 1:  # type: ignore[attr-defined]
                    raise BenchmarkError(f"checkpoint of {consumer} is not at {checkpoint}")
            checkpoint = last
            await msgs[-1].ack()
            done += len(msgs)
    finally:
        await psub.unsubscribe()


def order_projection(
    bench: Bench,
    event: walnats.Event[OrderPlaced],
    n: int,
    done: asyncio.Event,
    *,
    write: bool = True,
    bulk: bool = False,
) -> projections.Projection:
    """A projection writing one ``OrderRow`` per event; *done* is set at the *n*-th.

    With ``write=False`` the handler only touches the payload (as the consume
    scenarios do): what is left is the runner's own cost, a transaction per batch.
    """
    handled = 0

    async def placed(
        order: OrderPlaced, meta: projections.EventMeta, session: AsyncSession
    ) -> None:
        nonlocal handled
        session.add(order_row(order, meta.sequence))
        handled += 1
        if handled == n:
            done.set()

    async def touched(
        order: OrderPlaced, meta: projections.EventMeta, session: AsyncSession
    ) -> None:
        nonlocal handled
        sink(order)
        handled += 1
        if handled == n:
            done.set()

    async def placed_many(
        orders: Sequence[tuple[OrderPlaced, projections.EventMeta]], session: AsyncSession
    ) -> None:
        nonlocal handled
        await session.execute(
            insert(OrderRow), [row_values(order, meta.sequence) for order, meta in orders]
        )
        handled += len(orders)
        if handled == n:
            done.set()

    handler = (
        projections.handle_batch(event, placed_many)
        if bulk
        else projections.handle(event, placed if write else touched)
    )
    return projections.Projection(bench.name("proj"), handlers=[handler], tables=[OrderRow])


async def _walnats(
    bench: Bench, n: int, backend: Backend, *, write: bool = True, bulk: bool = False
) -> Sample:
    """A ``ProjectionRunner`` from its start until the *n*-th event is committed."""
    async with (
        fresh_database(backend) as engine,
        bench.stream(f"proj-walnats-{backend}", fill=n) as event,
        walnats.Events(event).connect(bench.url) as conn,
    ):
        done = asyncio.Event()
        projection = order_projection(bench, event, n, done, write=write, bulk=bulk)
        runner = projections.ProjectionRunner(projection, conn.client, engine)
        meter = bench.meter()
        meter.start()
        await runner.start()
        try:
            await done.wait()
            if not await runner.wait_for(event.stream_name, n, timeout=30):
                raise BenchmarkError(f"{projection.name} did not commit event {n}")
            await conn.client.flush()
            sample = await meter.stop(n)
        finally:
            await runner.stop()
        await expect_rows(engine, n if write else 0)
    return sample


async def _raw(bench: Bench, n: int) -> Sample:
    return await fetch_ack(bench, n)


async def _raw_sqlite(bench: Bench, n: int) -> Sample:
    return await _raw_sql(bench, n, "sqlite")


async def _walnats_sqlite(bench: Bench, n: int) -> Sample:
    return await _walnats(bench, n, "sqlite")


async def _walnats_no_sql(bench: Bench, n: int) -> Sample:
    return await _walnats(bench, n, "sqlite", write=False)


async def _raw_bulk_sqlite(bench: Bench, n: int) -> Sample:
    return await _raw_sql(bench, n, "sqlite", bulk=True)


async def _walnats_bulk_sqlite(bench: Bench, n: int) -> Sample:
    return await _walnats(bench, n, "sqlite", bulk=True)


async def _raw_bulk_postgres(bench: Bench, n: int) -> Sample:
    return await _raw_sql(bench, n, "postgresql", bulk=True)


async def _walnats_bulk_postgres(bench: Bench, n: int) -> Sample:
    return await _walnats(bench, n, "postgresql", bulk=True)


async def _raw_postgres(bench: Bench, n: int) -> Sample:
    return await _raw_sql(bench, n, "postgresql")


async def _walnats_postgres(bench: Bench, n: int) -> Sample:
    return await _walnats(bench, n, "postgresql")


SCENARIO = Scenario(
    number=6,
    key="projection",
    title="projection (SQLite/PostgreSQL)",
    measures=(
        "A ProjectionRunner writing one row per event (ORM add, or a bulk insert per run "
        "with handle_batch), batches of 500 committed with the checkpoint, against a "
        "hand-written fetch(500) + the same transaction + one ack per batch; the targets "
        "(on the bulk rows) are against raw fetch + ack() without a database."
    ),
    impls=(
        Impl(RAW, "raw", _raw),
        Impl(RAW_SQL["sqlite"], "raw", _raw_sqlite, compare=(RAW,)),
        Impl(
            "walnats projection, SQLite",
            "walnats",
            _walnats_sqlite,
            compare=(RAW, RAW_SQL["sqlite"]),
        ),
        Impl(RAW_BULK["sqlite"], "raw", _raw_bulk_sqlite, compare=(RAW,)),
        Impl(
            "walnats projection, bulk, SQLite",
            "walnats",
            _walnats_bulk_sqlite,
            Target(">=", 0.90, RAW),
            compare=(RAW_BULK["sqlite"],),
        ),
        Impl("walnats projection, no SQL, SQLite", "walnats", _walnats_no_sql, compare=(RAW,)),
        Impl(RAW_SQL["postgresql"], "raw", _raw_postgres, compare=(RAW,)),
        Impl(
            "walnats projection, PostgreSQL",
            "walnats",
            _walnats_postgres,
            compare=(RAW, RAW_SQL["postgresql"]),
        ),
        Impl(RAW_BULK["postgresql"], "raw", _raw_bulk_postgres, compare=(RAW,)),
        Impl(
            "walnats projection, bulk, PostgreSQL",
            "walnats",
            _walnats_bulk_postgres,
            Target(">=", 0.50, RAW),
            compare=(RAW_BULK["postgresql"],),
        ),
    ),
    size=lambda o: o.n,
)
