"""Faults: killed workers, a restarted server, random failures, SIGTERM under load."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

import walnats
from tests.helpers import Order, actor_name, order_event
from walnats.testing import NatsServer

WORKER = Path(__file__).parent / "faults" / "worker.py"
pytestmark = pytest.mark.slow


def start_worker(
    url: str, event: str, actor: str, output: Path, pause: float
) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), url, event, actor, str(output), str(pause)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    return proc


def stop_worker(proc: subprocess.Popen[str]) -> str:
    """SIGTERM, wait for a clean exit, return what the worker wrote to stderr."""
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    return stderr


def handled(output: Path) -> Counter[int]:
    if not output.exists():
        return Counter()
    return Counter(int(line) for line in output.read_text().split())


async def wait_for(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.05)


async def emit_orders(url: str, event: walnats.Event[Order], count: int) -> None:
    async with walnats.Events(event).connect(url) as conn:
        await conn.register()
        await conn.emit_many(event, [Order(i) for i in range(count)])


async def test_fault__kill_9_worker_mid_batch(nats_url: str, tmp_path: Path) -> None:
    """A worker killed with SIGKILL mid-batch loses nothing: a new one handles the rest."""
    event, name, output, total = order_event(), actor_name(), tmp_path / "handled.txt", 2000
    await emit_orders(nats_url, event, total)
    first = start_worker(nats_url, event.name, name, output, pause=0.002)
    await wait_for(lambda: len(handled(output)) >= 300, 30)
    first.kill()
    first.communicate()
    partial = len(handled(output))
    assert partial < total
    second = start_worker(nats_url, event.name, name, output, pause=0)
    try:
        await wait_for(lambda: set(handled(output)) == set(range(total)), 60)
    finally:
        stop_worker(second)
    counts = handled(output)
    duplicates = sum(c - 1 for c in counts.values())
    assert duplicates <= 32  # at most the killed worker's in-flight jobs


async def test_fault__sigterm_under_load_loses_and_duplicates_nothing(
    nats_url: str, tmp_path: Path
) -> None:
    """SIGTERM during heavy processing drains: no event lost, none handled twice."""
    event, name, output, total = order_event(), actor_name(), tmp_path / "handled.txt", 3000
    await emit_orders(nats_url, event, total)
    worker = start_worker(nats_url, event.name, name, output, pause=0.005)
    await wait_for(lambda: len(handled(output)) >= 200, 30)
    errors = stop_worker(worker)
    assert "Traceback" not in errors
    assert "Task exception was never retrieved" not in errors
    second = start_worker(nats_url, event.name, name, output, pause=0)
    try:
        await wait_for(lambda: len(handled(output)) >= total, 60)
        await asyncio.sleep(0.5)
    finally:
        stop_worker(second)
    counts = handled(output)
    assert set(counts) == set(range(total))
    assert max(counts.values()) == 1


async def test_fault__server_restart_while_emitting_and_consuming(tmp_path: Path) -> None:
    """Restarting nats-server (same store) loses no acknowledged event.

    The publisher sees clear walnats errors during the outage or succeeds after the
    reconnect; the actor resumes on its own.
    """
    server = NatsServer(store_dir=tmp_path / "store").start()
    event = order_event()
    acked: set[int] = set()
    errors: list[BaseException] = []
    seen: set[int] = set()

    async def handle(order: Order) -> None:
        seen.add(order.id)

    try:
        async with (
            walnats.Events(event).connect(server.url) as pub,
            walnats.Actors(walnats.Actor(actor_name(), event, handle)).connect(server.url) as sub,
        ):
            await pub.register()
            await sub.register()
            listener = asyncio.create_task(sub.listen())

            async def publish() -> None:
                for i in range(600):
                    try:
                        await pub.emit(event, Order(i), uid=f"o-{i}", timeout=1)
                        acked.add(i)
                    except walnats.WalnatsError as exc:
                        errors.append(exc)
                    await asyncio.sleep(0.005)

            publisher = asyncio.create_task(publish())
            await asyncio.sleep(0.6)
            await asyncio.to_thread(server.restart)
            await publisher
            await wait_for(lambda: acked <= seen, 30)
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
    finally:
        server.stop()
    assert len(acked) > 300
    assert acked <= seen
    assert all(isinstance(e, walnats.EmitError) for e in errors), errors


async def test_fault__one_percent_random_failures(nats_url: str) -> None:
    """100k events, 1% failing on first delivery: all handled, zero dead letters."""
    event, name, total = order_event(), actor_name(), 100_000
    await emit_orders(nats_url, event, total)
    rng = random.Random(7)
    counts: Counter[int] = Counter()

    async def flaky(order: Order, ctx: walnats.Context[Order]) -> None:
        if ctx.attempt == 1 and rng.random() < 0.01:
            raise RuntimeError("transient")
        counts[order.id] += 1

    policy = walnats.RetryPolicy(max_attempts=3, initial=0.05)
    actor = walnats.Actor(name, event, flaky, retry=policy, max_jobs=256)
    async with walnats.Actors(actor).connect(nats_url) as conn:
        await conn.register()
        task = asyncio.create_task(conn.listen())
        try:
            await wait_for(lambda: len(counts) == total, 120)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert await walnats.DeadLetters(conn.client).count(name) == 0
    assert len(counts) == total


async def test_fault__crash_on_last_attempt_is_dead_lettered(nats_url: str) -> None:
    """If the last attempt never finishes, the server's advisory still yields a dead letter."""
    event = order_event()
    name = actor_name()
    await emit_orders(nats_url, event, 1)

    async def hang(order: Order) -> None:
        await asyncio.sleep(60)

    # The "crashed" worker: takes the only delivery and never answers, no pulses.
    crashed = walnats.Actor(
        name, event, hang, max_attempts=1, ack_wait=0.5, pulse=False, job_timeout=60
    )

    async def never(order: Order) -> None:
        raise AssertionError("max_deliver is 1: no second delivery")

    healthy = walnats.Actor(name, event, never, max_attempts=1, ack_wait=0.5)
    async with (
        walnats.Actors(crashed).connect(nats_url) as first,
        walnats.Actors(healthy).connect(nats_url) as second,
    ):
        await first.register()
        stuck = asyncio.create_task(first.listen(stop_timeout=0))
        await asyncio.sleep(0.2)
        watcher = asyncio.create_task(second.listen())
        dead = walnats.DeadLetters(second.client)
        try:
            await wait_for_async(lambda: dead.count(name), 10)
        finally:
            for task in (stuck, watcher):
                task.cancel()
            await asyncio.gather(stuck, watcher, return_exceptions=True)
        [letter] = await dead.list(name)
    assert letter.reason == "timed-out"
    assert letter.attempts == 1


async def wait_for_async(count: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await count():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("no dead letter")
        await asyncio.sleep(0.1)
