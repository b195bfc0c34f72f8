"""Delayed emit: due at the right time in any time zone, no retry attempt spent."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

import walnats
from tests.helpers import Order, actor_name, order_event
from walnats._events._delay import due_time
from walnats.testing import NatsServer

DEBIAN_SERVER = "/usr/sbin/nats-server"


@pytest.fixture(scope="module")
def old_server_url() -> Iterator[str]:
    """A nats-server 2.9 (Debian's package) on a free port: no message schedules."""
    if not shutil.which(DEBIAN_SERVER):
        pytest.skip(f"{DEBIAN_SERVER} (nats-server 2.9) is not installed")
    with NatsServer(binary=DEBIAN_SERVER) as server:
        yield server.url


async def delayed_roundtrip(
    url: str, delay: float | timedelta | datetime
) -> tuple[float, list[int], str | None]:
    event = order_event()
    loop = asyncio.get_running_loop()
    got = asyncio.Event()
    seen: list[int] = []
    ids: list[str | None] = []

    async def handle(order: Order, ctx: walnats.Context[Order]) -> None:
        seen.append(ctx.attempt)
        ids.append(ctx.event_id)
        got.set()

    actor = walnats.Actor(actor_name(), event, handle)
    async with (
        walnats.Events(event).connect(url) as pub,
        walnats.Actors(actor).connect(url) as sub,
    ):
        await pub.register()
        await sub.register()
        task = asyncio.create_task(sub.listen())
        try:
            started = loop.time()
            await pub.emit(event, Order(1), uid="delayed-1", delay=delay)
            await asyncio.wait_for(got.wait(), 10)
            elapsed = loop.time() - started
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    return elapsed, seen, ids[0]


async def test_delay__server_schedule(nats_url: str) -> None:
    """On a server with schedules the event arrives after the delay, at attempt 1."""
    elapsed, attempts, event_id = await delayed_roundtrip(nats_url, 0.8)
    assert 0.6 <= elapsed < 3
    assert attempts == [1]
    assert event_id == "delayed-1"


async def test_delay__aware_datetime_any_zone(nats_url: str) -> None:
    """An aware datetime in another time zone means the same instant."""
    tokyo = timezone(timedelta(hours=9))
    due = datetime.now(tz=tokyo) + timedelta(seconds=0.8)
    elapsed, attempts, _ = await delayed_roundtrip(nats_url, due)
    assert 0.5 <= elapsed < 3
    assert attempts == [1]


async def test_delay__fallback_on_old_server(old_server_url: str) -> None:
    """Without schedules the actor defers the early event and it is still attempt 1."""
    elapsed, attempts, event_id = await delayed_roundtrip(old_server_url, timedelta(seconds=0.8))
    assert 0.7 <= elapsed < 3
    assert attempts == [1]
    assert event_id == "delayed-1"


def test_due_time__validation() -> None:
    """Naive datetimes and negative delays are refused; numbers are seconds from now."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert due_time(90, now) == now + timedelta(seconds=90)
    assert due_time(timedelta(minutes=1), now) == now + timedelta(minutes=1)
    with pytest.raises(walnats.ConfigError, match="naive datetime"):
        due_time(datetime(2026, 1, 1), now)  # noqa: DTZ001 - the point of the test
    with pytest.raises(walnats.ConfigError, match="must not be negative"):
        due_time(-1, now)
