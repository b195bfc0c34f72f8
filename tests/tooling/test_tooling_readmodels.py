"""The read side and clocks through the real CLI: run, status, replay and db upgrade."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tooling_helpers import Running, environment, walnats

from examples.shop.orders import ORDER, Line, pay, place
from walnats import Events
from walnats.testing import NatsServer

APP = "examples.shop:services"


@pytest.fixture(scope="module")
def shop_server() -> Iterator[NatsServer]:
    """The shop's stream and consumer names are fixed: it gets a server of its own."""
    with NatsServer() as server:
        yield server


def stop(runner: Running) -> int:
    """SIGINT and wait for the drain; on a hang, fail with what the process logged."""
    try:
        return runner.stop(signal.SIGINT, timeout=30)
    except subprocess.TimeoutExpired:
        runner.kill()
        raise AssertionError(f"walnats run did not stop: {runner.stderr}") from None


def summary_rows(db: Path) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute(
                "SELECT order_id, status, total_cents FROM order_summary ORDER BY order_id"
            ).fetchall()
        except sqlite3.OperationalError:  # the table is not created yet
            return []


def wait_rows(db: Path, count: int, timeout: float = 30) -> list[tuple[object, ...]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = summary_rows(db)
        if len(rows) >= count:
            return rows
        time.sleep(0.1)
    raise AssertionError(f"order_summary has {summary_rows(db)}, expected {count} rows")


async def place_orders(url: str) -> None:
    async with ORDER.connect(url) as orders:
        for n in (1, 2):
            line = (Line("walrus-plush", n, 1000),)
            await orders.execute(f"o-{n}", lambda o, i=line: place(o, "ada", "a@x.org", i))
        await orders.execute("o-1", lambda o: pay(o, o.total_cents))


def test_readmodels__run_status_replay(shop_server: NatsServer, tmp_path: Path) -> None:
    """`run` builds the read model on the local database; `status` and `replay` see it."""
    asyncio.run(place_orders(shop_server.url))
    db = tmp_path / ".walnats" / "walnats.db"
    env = environment()
    runner = Running("run", APP, "--url", shop_server.url, cwd=tmp_path, env=env)
    try:
        runner.wait_for("press Ctrl-C")
        rows = wait_rows(db, 2)
    finally:
        code = stop(runner)
    assert code == 0, runner.stderr
    assert rows == [("o-1", "paid", 1000), ("o-2", "open", 2000)]

    status = walnats("status", APP, "--url", shop_server.url, "--json", cwd=tmp_path, env=env)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    [summary] = [p for p in report["projections"] if p["name"] == "order-summary"]
    assert summary["behind"] == 0
    assert summary["status"] == "live"
    assert summary["checkpoints"]["order"]["checkpoint"] == summary["checkpoints"]["order"]["last"]
    table = walnats("status", APP, "--url", shop_server.url, cwd=tmp_path, env=env)
    assert table.returncode == 0, table.stderr
    assert "order-summary" in table.stdout
    assert "CHECKPOINT" in table.stdout

    replay = walnats("replay", APP, "order-summary", "--url", shop_server.url, cwd=tmp_path)
    assert replay.returncode == 0, replay.stderr
    assert "order-summary" in replay.stdout
    assert summary_rows(db) == rows


def test_readmodels__db_upgrade_then_replay_unknown(
    shop_server: NatsServer, tmp_path: Path
) -> None:
    """`db upgrade` migrates a fresh database; an unknown projection is the exact error."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    done = walnats("db", "upgrade", "--db", url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"the toolkit tables in {url} are at revision head\n"
    unknown = walnats("replay", APP, "nope", "--url", shop_server.url, "--db", url, cwd=tmp_path)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("error: ")
    assert "nope" in unknown.stderr


def test_run__ticks_the_apps_clocks(shop_server: NatsServer, tmp_path: Path) -> None:
    """`run` runs the clocks an app owns: their tick events reach the stream."""
    name = f"tick-{uuid.uuid4().hex[:8]}"
    (tmp_path / "clock_app.py").write_text(
        textwrap.dedent(
            f"""\
            from datetime import datetime

            import walnats

            TICK = walnats.Event({name!r}, datetime)
            services = walnats.Services().add(
                "cron", owns=[walnats.Clock(event=TICK, period=1)]
            )
            """
        )
    )
    runner = Running("run", "clock_app:services", "--url", shop_server.url, cwd=tmp_path)
    try:
        runner.wait_for("press Ctrl-C")
        time.sleep(2.5)
    finally:
        code = stop(runner)
    assert code == 0, runner.stderr

    async def ticks() -> int:
        async with Events().connect(shop_server.url) as conn:
            info = await conn.jetstream.stream_info(name)
            return int(info.state.messages)

    assert asyncio.run(ticks()) >= 2


def test_run__fresh_server_declares_aggregate_streams(tmp_path: Path) -> None:
    """On an empty server `run` declares the aggregates' streams before projections start."""
    with NatsServer() as server:
        runner = Running("run", APP, "--url", server.url, cwd=tmp_path)
        try:
            runner.wait_for("order-summary v1 caught up")
        finally:
            code = stop(runner)
    assert code == 0, runner.stderr
    assert not any(line.startswith("error:") for line in runner.stderr), runner.stderr
