"""A balances read model over deposit events, shared by the projection tests.

Each account row counts the events applied to it (``applications``) and how often an
event arrived with a stream sequence not above the account's previous one
(``disorder``), so the read model itself proves "each event once, in order".
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import walnats
from projections._read import EventMeta, Projection, handle
from walnats.testing import unique_name

SCHEMAS: dict[int, str] = {}
"""The PostgreSQL schema of each test engine (for worker subprocesses)."""


class Deposited(msgspec.Struct, frozen=True):
    account: str
    amount: int


metadata = sa.MetaData()
balances = sa.Table(
    "balances",
    metadata,
    sa.Column("account", sa.String(64), primary_key=True),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("applications", sa.Integer, nullable=False),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("disorder", sa.Integer, nullable=False),
)
balances_v2 = sa.Table(
    "balances_v2",
    metadata,
    sa.Column("account", sa.String(64), primary_key=True),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("applications", sa.Integer, nullable=False),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("disorder", sa.Integer, nullable=False),
)
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(255), nullable=False),
    sa.Column("account", sa.String(64), nullable=False),
    sa.Column("replaying", sa.Boolean, nullable=False),
)


_UPSERTS: dict[tuple[str, str], Any] = {}


def upsert(dialect: str, table: sa.Table) -> Any:
    """One statement: add the amount, count the application, flag out-of-order sequences.

    Built once per dialect and table; handlers pass the values as parameters.
    """
    key = (dialect, table.name)
    if key not in _UPSERTS:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(table).values(
            account=sa.bindparam("account"),
            total=sa.bindparam("amount"),
            applications=1,
            last_seq=sa.bindparam("seq"),
            disorder=0,
        )
        excluded = statement.excluded
        _UPSERTS[key] = statement.on_conflict_do_update(
            index_elements=[table.c.account],
            set_={
                "total": table.c.total + excluded.total,
                "applications": table.c.applications + 1,
                "disorder": table.c.disorder
                + sa.case((excluded.last_seq <= table.c.last_seq, 1), else_=0),
                "last_seq": excluded.last_seq,
            },
        )
    return _UPSERTS[key]


def applier(table: sa.Table = balances) -> Any:
    async def deposited(event: Deposited, meta: EventMeta, session: AsyncSession) -> None:
        account = meta.aggregate_id or event.account
        statement = upsert(session.get_bind().dialect.name, table)
        await session.execute(
            statement, {"account": account, "amount": event.amount, "seq": meta.sequence}
        )

    return deposited


def deposit_event(
    name: str | None = None, aggregate: str | None = None
) -> walnats.Event[Deposited]:
    """A plain deposit event with a unique name, or one of aggregate *aggregate*."""
    return walnats.Event(name or unique_name("deposited"), Deposited, aggregate=aggregate)


def balance_projection(
    event: walnats.Event[Deposited], name: str = "balances", **options: Any
) -> Projection:
    """The balances projection of *event*."""
    table = options.pop("table", balances)
    return Projection(name, handlers=[handle(event, applier(table))], tables=[table], **options)


async def create_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)


async def read_balances(
    engine: AsyncEngine, table: sa.Table = balances
) -> dict[str, tuple[int, int, int]]:
    """``{account: (total, applications, disorder)}``."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(table.c.account, table.c.total, table.c.applications, table.c.disorder)
        )
        return {r.account: (int(r.total), int(r.applications), int(r.disorder)) for r in rows}


@dataclass
class Fold:
    """The expected read model: what the events add up to."""

    totals: Counter[str]
    counts: Counter[str]

    def as_rows(self) -> dict[str, tuple[int, int, int]]:
        return {a: (self.totals[a], self.counts[a], 0) for a in self.counts}


def fold(deposits: Sequence[Deposited]) -> Fold:
    totals: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for d in deposits:
        totals[d.account] += d.amount
        counts[d.account] += 1
    return Fold(totals, counts)


def make_deposits(count: int, accounts: int = 20, start: int = 0) -> list[Deposited]:
    return [Deposited(f"a{i % accounts}", i + 1) for i in range(start, start + count)]


async def emit_deposits(
    url_or_client: Any, event: walnats.Event[Deposited], deposits: Sequence[Deposited]
) -> list[walnats.Emitted]:
    async with walnats.Events(event).connect(
        url_or_client, close=not hasattr(url_or_client, "jetstream")
    ) as conn:
        await conn.register()
        return await conn.emit_many(event, deposits)


async def publish_aggregate(
    nc: Any, aggregate: str, deposits: Sequence[Deposited], event_name: str = "deposited"
) -> list[int]:
    """Publish aggregate events ``<aggregate>.<account>.<event>`` (stream created here),
    pipelined, in order; returns their sequences."""
    js = nc.jetstream()
    await walnats.ensure_stream(
        js,
        walnats.StreamSpec(
            name=aggregate, subjects=(f"{aggregate}.>",), flags={"allow_direct": True}
        ),
    )
    sequences: list[int] = []
    chunk = 500
    for start in range(0, len(deposits), chunk):
        part = deposits[start : start + chunk]
        replies = await asyncio.gather(
            *(
                nc.request(
                    f"{aggregate}.{d.account}.{event_name}",
                    msgspec.json.encode(d),
                    timeout=10,
                    headers={"Nats-Msg-Id": unique_name("evt")},
                )
                for d in part
            )
        )
        sequences.extend(json.loads(r.data)["seq"] for r in replies)
    return sequences
