"""Acceptance: 50,000 events, the worker SIGKILLed three times: nothing lost or doubled."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rm_contract import checkpoint_of
from rm_kit import (
    SCHEMAS,
    balance_projection,
    create_tables,
    deposit_event,
    emit_deposits,
    fold,
    make_deposits,
    read_balances,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from projections._read import upgrade_database
from walnats.testing import unique_name

WORKER = Path(__file__).parent / "rm_worker.py"
TOTAL = 50_000

pytestmark = pytest.mark.slow


def start_worker(args: list[str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line == "ready", proc.stderr.read() if proc.stderr else line
    return proc


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> tuple[AsyncEngine, list[str]]:
    """The database engine, and how a worker process opens it."""
    engine: AsyncEngine = request.getfixturevalue(f"{request.param}_db")
    url = engine.url.render_as_string(hide_password=False)
    schema = SCHEMAS.get(id(engine))
    return engine, [url] + ([schema] if schema else [])


async def test_kill_9__three_times_then_the_fold_is_exact(
    nats_url: str, backend: tuple[AsyncEngine, list[str]]
) -> None:
    """SIGKILL at random points (mid-batch): the final model is the exact fold, once each."""
    engine, db_args = backend
    await upgrade_database(engine)
    await create_tables(engine)
    event = deposit_event()
    name = unique_name("killed")
    projection = balance_projection(event, name)
    deposits = make_deposits(TOTAL, accounts=100)
    emitted = await emit_deposits(nats_url, event, deposits)
    last = emitted[-1].sequence
    args = [nats_url, db_args[0], event.name, name, *db_args[1:]]
    rng = random.Random()
    for threshold in sorted(rng.sample(range(2_000, TOTAL - 5_000), 3)):
        proc = start_worker(args)
        started = time.monotonic()
        await _until(engine, projection, lambda applied, t=threshold: applied >= t)
        print(f"killing at {threshold} after {time.monotonic() - started:.1f}s")
        proc.kill()
        proc.communicate()
    proc = start_worker(args)
    try:
        await _until(engine, projection, lambda applied: applied >= last, timeout=120)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert await read_balances(engine) == fold(deposits).as_rows()
    assert await checkpoint_of(engine, projection) == {(0, event.name): last}


async def _until(engine: AsyncEngine, projection: Any, check: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        rows = await checkpoint_of(engine, projection)
        if check(max(rows.values(), default=0)):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"checkpoint stuck at {rows}")
        await asyncio.sleep(0.01)
