"""The shop's read models: the demo runs, and its replay rebuilds identical rows."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from examples.shop import read_models
from examples.shop.orders import ORDER, place
from projections import wait_for_projection
from projections._read import (
    ProjectionError,
    ProjectionRunner,
    database_revision,
    open_database,
    replay,
    serve,
    upgrade_database,
)
from walnats.testing import NatsServer


@pytest.fixture(scope="module")
def own_server() -> Iterator[NatsServer]:
    """The shop's order ids are fixed: give the demo a server of its own."""
    with NatsServer() as server:
        yield server


async def test_example__demo_rebuilds_identically(
    own_server: NatsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Orders flow into order-summary, daily-revenue and the outbox; a replay is identical."""
    assert await read_models.demo(own_server.url, f"sqlite+aiosqlite:///{tmp_path}/shop.db")
    out = capsys.readouterr().out
    assert "o-1: ada    shipped   items=2 total=3000 paid=3000 tracking=WP-1 events=4" in out
    assert "3 orders paid, 4800 cents in, 900 refunded" in out
    assert "outbox: 3 confirmation e-mails" in out
    assert "identical: True" in out


def test_example__read_models_are_registered_components() -> None:
    """Tooling sees two projections and a reactor consuming order events."""
    kinds = {type(item).__name__ for item in read_models.READ_MODELS}
    assert kinds == {"Projection", "Reactor"}
    assert {e.name for e in read_models.ORDER_SUMMARY.events} == {
        "order-created",
        "order-item-added",
        "order-paid",
        "order-shipped",
        "order-cancelled",
    }


async def test_serve__runs_the_apps_read_models_until_cancelled(
    own_server: NatsServer, tmp_path: Path
) -> None:
    """serve() (what `walnats run` calls) migrates, creates tables, runs, stops cleanly."""
    db = f"sqlite+aiosqlite:///{tmp_path}/serve.db"
    engine = open_database(db)
    async with ORDER.connect(own_server.url) as orders:
        task = asyncio.create_task(
            serve(
                [*read_models.READ_MODELS, ORDER],
                nc=orders.client,
                db=engine,
                upgrade=True,
                create_tables=True,
            )
        )
        while await database_revision(engine) is None:  # serve() migrates first
            await asyncio.sleep(0.02)
        done = await orders.execute("s-1", lambda o: place(o, "ada", "ada@example.com"))
        async with ProjectionRunner(read_models.ORDER_SUMMARY, orders.client, engine) as probe:
            await wait_for_projection(probe, done)  # a standby runner reads the checkpoints
        deadline = asyncio.get_running_loop().time() + 10
        while ("s-1",) not in await _outbox_orders(engine):
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    await engine.dispose()


async def test_replay__missing_tables_is_a_clear_error(
    own_server: NatsServer, tmp_path: Path
) -> None:
    """Replaying before the read-model tables exist says so, and changes nothing."""
    engine = open_database(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    await upgrade_database(engine)
    async with ORDER.connect(own_server.url) as orders:
        with pytest.raises(ProjectionError, match=r"cannot reset the read model .* Do its tables"):
            await replay(read_models.ORDER_SUMMARY, nc=orders.client, db=engine)
    await engine.dispose()


async def _outbox_orders(engine: Any) -> list[tuple[str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(sa.select(read_models.Outbox.subject))
        return [(subject.rsplit(" ", 1)[-1],) for (subject,) in rows]
