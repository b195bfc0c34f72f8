"""Core messaging on nats-server 2.9 (Debian stable): everything but newer features works."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator

import pytest

import walnats
from tests.helpers import Order, actor_name, order_event
from walnats.testing import NatsServer

DEBIAN_SERVER = "/usr/sbin/nats-server"


@pytest.fixture(scope="module")
def old_url() -> Iterator[str]:
    """Debian's nats-server 2.9 on a free port with its own store."""
    if not shutil.which(DEBIAN_SERVER):
        pytest.skip(f"{DEBIAN_SERVER} (nats-server 2.9) is not installed")
    with NatsServer(binary=DEBIAN_SERVER) as server:
        yield server.url


async def test_old_server__emit_dedup_listen_retry_dead_letter(old_url: str) -> None:
    """Streams, idempotent emits, delivery, retries and dead letters all work on 2.9."""
    event = order_event()
    name = actor_name()
    calls: list[int] = []

    async def handle(order: Order, ctx: walnats.Context[Order]) -> None:
        calls.append(order.id)
        if order.id == 2:
            raise RuntimeError("always fails")
        if order.id == 1 and ctx.attempt == 1:
            raise RuntimeError("fails once")

    policy = walnats.RetryPolicy(max_attempts=2, delays=(0.05,))
    actor = walnats.Actor(name, event, handle, retry=policy)
    async with walnats.Events(event).connect(old_url) as pub:
        await pub.register()
        first = await pub.emit(event, Order(1), uid="one")
        again = await pub.emit(event, Order(1), uid="one")
        await pub.emit(event, Order(2))
        assert again.duplicate
        assert again.sequence == first.sequence
    async with walnats.Actors(actor).connect(old_url) as sub:
        await sub.register()
        task = asyncio.create_task(sub.listen())
        dead = walnats.DeadLetters(sub.client)
        for _ in range(400):
            if await dead.count(name):
                break
            await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        [letter] = await dead.list(name)
    assert sorted(calls) == [1, 1, 2, 2]
    assert (letter.reason, letter.attempts) == ("exhausted", 2)


async def test_old_server__request_reply(old_url: str) -> None:
    """Request/reply works on 2.9."""
    event = order_event().with_response(int)

    async def double(order: Order) -> int:
        return order.id * 2

    async with (
        walnats.Events(event).connect(old_url) as pub,
        walnats.Actors(walnats.Actor(actor_name(), event, double)).connect(old_url) as sub,
    ):
        await pub.register()
        await sub.register()
        task = asyncio.create_task(sub.listen())
        try:
            assert await pub.request(event, Order(21), timeout=5) == 42
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_old_server__streams_have_no_schedule_subjects(old_url: str) -> None:
    """On 2.9 no option the server would silently ignore is set."""
    event = order_event()
    async with walnats.Events(event).connect(old_url) as conn:
        await conn.register()
        await conn.register()  # idempotent: no spurious difference to update
        info = await conn.jetstream.stream_info(event.name)
    assert info.config.subjects == [event.name]
