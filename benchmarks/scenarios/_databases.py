"""Fresh read-side databases and the read model the projection scenarios write.

Every run gets an empty database: a SQLite file in a temporary folder, or a schema of
its own in PostgreSQL (``$WALNATS_TEST_POSTGRES_URL``), dropped afterwards. Both the
walnats projection and the hand-written reference write the same rows with the same
SQL: one ORM ``OrderRow`` added per event (SQLAlchemy sends a batch's rows together
at commit), plus the checkpoint, in one transaction per batch.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import projections

from .._bench import BenchmarkError
from .._payload import OrderPlaced
from .._scenario import Skipped

__all__ = [
    "POSTGRES_URL",
    "Backend",
    "OrderRow",
    "checkpoint_table",
    "expect_rows",
    "fresh_database",
    "order_row",
    "postgres_label",
]

Backend = Literal["sqlite", "postgresql"]

POSTGRES_URL = os.environ.get(
    "WALNATS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
"""The PostgreSQL the benchmarks use (the same variable as the test suite)."""

_PROBE_TIMEOUT = 3.0
_postgres_problem: list[str | None] = []
"""The probe's answer, once known: ``[None]`` reachable, ``[reason]`` not."""


class Base(DeclarativeBase):
    pass


class OrderRow(Base):
    """The read model: one row per order, as an order list would show it."""

    __tablename__ = "bench_orders"
    order_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    customer_id: Mapped[int]
    sku: Mapped[str] = mapped_column(sa.String(32))
    quantity: Mapped[int]
    total_cents: Mapped[int] = mapped_column(sa.BigInteger)
    sequence: Mapped[int] = mapped_column(sa.BigInteger)
    """The event's stream sequence (what a version column would hold)."""


checkpoint_table = sa.Table(
    "bench_checkpoint",
    Base.metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("sequence", sa.BigInteger, nullable=False),
)
"""The hand-written reference's checkpoint row (walnats uses its own toolkit table)."""


def order_row(order: OrderPlaced, sequence: int) -> OrderRow:
    """The row of one event: the same on both sides."""
    return OrderRow(
        order_id=order.order_id,
        customer_id=order.customer_id,
        sku=order.sku,
        quantity=order.quantity,
        total_cents=order.price_cents * order.quantity,
        sequence=sequence,
    )


@asynccontextmanager
async def fresh_database(backend: Backend) -> AsyncIterator[AsyncEngine]:
    """An empty database with the toolkit tables (``upgrade_database``) and the read model.

    Raises:
        Skipped: PostgreSQL is not reachable.
    """
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="walnats-bench-") as folder:
            engine = projections.open_database(f"sqlite+aiosqlite:///{folder}/read.db")
            try:
                await _prepare(engine)
                yield engine
            finally:
                await engine.dispose()
        return
    problem = await _postgres_unreachable()
    if problem is not None:
        raise Skipped(problem)
    import asyncpg  # type: ignore[import-untyped]

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_dsn(), timeout=_PROBE_TIMEOUT)
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        engine = projections.open_database(
            POSTGRES_URL,
            connect_args={"server_settings": {"search_path": schema, "application_name": schema}},
        )
        try:
            await _prepare(engine)
            yield engine
        finally:
            await engine.dispose()
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await admin.close()


async def _prepare(engine: AsyncEngine) -> None:
    await projections.upgrade_database(engine)  # `walnats db upgrade`
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)


async def expect_rows(engine: AsyncEngine, count: int) -> None:
    """Raise :class:`BenchmarkError` unless the read model holds *count* rows."""
    async with AsyncSession(engine) as session:
        found = await session.scalar(sa.select(sa.func.count()).select_from(OrderRow))
    if found != count:
        raise BenchmarkError(f"the read model holds {found} rows, expected {count}")


def postgres_label() -> str:
    """Where PostgreSQL is, without the password, for the results' metadata."""
    return make_url(POSTGRES_URL).render_as_string(hide_password=True)


def _dsn() -> str:
    url = make_url(POSTGRES_URL).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def _postgres_unreachable() -> str | None:
    """``None`` when PostgreSQL answers, else why not (probed once per process)."""
    if _postgres_problem:
        return _postgres_problem[0]
    problem: str | None = None
    try:
        import asyncpg
    except ModuleNotFoundError:
        problem = "asyncpg is not installed (pip install 'walnats[postgres]')"
    else:
        try:
            connection = await asyncpg.connect(_dsn(), timeout=_PROBE_TIMEOUT)
            await connection.close()
        except Exception as exc:
            where = make_url(POSTGRES_URL)
            problem = (
                f"PostgreSQL at {where.host}:{where.port or 5432} is not reachable "
                f"({type(exc).__name__}; set WALNATS_TEST_POSTGRES_URL)"
            )
    _postgres_problem.append(problem)
    return problem
