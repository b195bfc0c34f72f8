"""Batch handlers: runs of one event type in one call, order across types kept."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

import projections
import walnats
from projections import EventMeta
from walnats.testing import unique_name

METADATA = sa.MetaData()
LEDGER = sa.Table(
    "batch_ledger",
    METADATA,
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("amount", sa.Integer, nullable=False),
)


async def test_handle_batch__runs_in_order(nats_url: str, tmp_path: Path) -> None:
    """Consecutive deposits reach one call each; withdrawals between them keep order."""
    account = unique_name("acct")
    deposit = walnats.Event("deposit", int, aggregate=account)
    withdraw = walnats.Event("withdraw", int, aggregate=account)
    runs: list[list[int]] = []

    async def deposits(events: Sequence[tuple[int, EventMeta]], session: AsyncSession) -> None:
        runs.append([amount for amount, _ in events])
        rows = [{"seq": m.timestamp_ns, "kind": "in", "amount": a} for a, m in events]
        await session.execute(LEDGER.insert(), rows)  # one executemany per run

    async def withdrawal(amount: int, meta: EventMeta, session: AsyncSession) -> None:
        runs.append([-amount])
        await session.execute(
            LEDGER.insert().values(seq=meta.timestamp_ns, kind="out", amount=amount)
        )

    projection = projections.Projection(
        unique_name("balance"),
        handlers=[
            projections.handle_batch(deposit, deposits),
            projections.handle(withdraw, withdrawal),
        ],
        tables=[LEDGER],
    )
    engine = projections.open_database(f"sqlite+aiosqlite:///{tmp_path / 'rm.db'}")
    await projections.upgrade_database(engine)
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    async with walnats.Events(deposit).connect(nats_url) as pub:
        # one stream holds both event types (an aggregate's stream), in this order
        js = pub.jetstream
        await walnats.ensure_stream(js, walnats.StreamSpec(account, (f"{account}.>",)))
        for event, amount in [(deposit, 1), (deposit, 2), (deposit, 3), (withdraw, 4)]:
            await js.publish(event.subject_for("a-1"), event.encode(amount))
        for amount in (5, 6):
            await js.publish(deposit.subject_for("a-1"), deposit.encode(amount))
        async with projections.ProjectionRunner(projection, pub.client, engine) as runner:
            await runner.catch_up()
    async with AsyncSession(engine) as session:
        total = await session.scalar(
            sa.select(sa.func.sum(sa.case((LEDGER.c.kind == "in", LEDGER.c.amount), else_=0)))
        )
        count = await session.scalar(sa.select(sa.func.count()).select_from(LEDGER))
    await engine.dispose()
    assert [amount for run in runs for amount in run] == [1, 2, 3, -4, 5, 6]
    assert runs == [[1, 2, 3], [-4], [5, 6]]  # all stored before the start: one batch
    assert (total, count) == (17, 6)
