"""Failure handling: retries on the configured curve, dead letters, re-drive."""

from __future__ import annotations

import asyncio
import itertools

import pytest

import walnats
from tests.helpers import Order, actor_name, order_event


async def listen_until(conn: walnats.ConnectedActors, done: asyncio.Event, timeout: float) -> None:
    task = asyncio.create_task(conn.listen())
    try:
        await asyncio.wait_for(done.wait(), timeout)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def emit_one(url: str, event: walnats.Event[Order], payload: bytes | None = None) -> int:
    async with walnats.Events(event).connect(url) as conn:
        await conn.register()
        if payload is None:
            return (await conn.emit(event, Order(1))).sequence
        ack = await conn.jetstream.publish(event.name, payload)
        return int(ack.seq)


async def test_retry__fails_then_succeeds_with_configured_delays(nats_url: str) -> None:
    """A handler failing N-1 times is called N times, with the configured delays."""
    event = order_event()
    await emit_one(nats_url, event)
    loop = asyncio.get_running_loop()
    calls: list[float] = []
    done = asyncio.Event()

    async def flaky(order: Order) -> None:
        calls.append(loop.time())
        if len(calls) < 3:
            raise RuntimeError("temporary")
        done.set()

    delays = (0.2, 0.5)
    actor = walnats.Actor(
        actor_name(),
        event,
        flaky,
        retry=walnats.RetryPolicy(max_attempts=4, delays=delays, jitter=0),
    )
    async with walnats.Actors(actor).connect(nats_url) as conn:
        await conn.register()
        await listen_until(conn, done, 10)
    assert len(calls) == 3
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    for gap, expected in zip(gaps, delays, strict=True):
        assert expected <= gap < expected + 0.4, gaps


async def test_retry__exhausted_goes_to_dead_letters(nats_url: str) -> None:
    """Exactly max_attempts calls, then one dead letter with metadata; re-drive works."""
    event = order_event()
    seq = await emit_one(nats_url, event)
    name = actor_name()
    calls = 0
    fixed = False
    done = asyncio.Event()

    async def always_fails(order: Order) -> None:
        nonlocal calls
        calls += 1
        if fixed:
            done.set()
            return
        raise ValueError(f"card declined for order {order.id}\nsecond line")

    actor = walnats.Actor(
        name, event, always_fails, retry=walnats.RetryPolicy(max_attempts=3, delays=(0.05,))
    )
    async with walnats.Actors(actor).connect(nats_url) as conn:
        await conn.register()
        dead = walnats.DeadLetters(conn.client)
        task = asyncio.create_task(conn.listen())
        for _ in range(200):
            if await dead.count(name):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # nothing more may happen
        assert calls == 3
        letters = await dead.list(name)
        assert len(letters) == 1
        letter = letters[0]
        assert (letter.actor, letter.event, letter.subject) == (name, event.name, event.name)
        assert (letter.stream, letter.stream_sequence, letter.attempts) == (event.name, seq, 3)
        assert letter.reason == "exhausted"
        assert letter.error_type == "builtins.ValueError"
        assert letter.error == "card declined for order 1 second line"
        assert letter.data == b'{"id":1,"item":"book"}'
        info = await conn.client.jetstream().consumer_info(event.name, name)
        assert (info.num_pending, info.num_ack_pending) == (0, 0)
        # re-drive: the actor handles it again, and the dead letter is gone
        fixed = True
        await dead.retry(letter.sequence)
        await asyncio.wait_for(done.wait(), 10)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert await dead.count(name) == 0
    assert calls == 4


async def test_redrive__only_the_failed_actor(nats_url: str) -> None:
    """A re-driven event reaches only the actor that failed, not its siblings."""
    event = order_event()
    await emit_one(nats_url, event)
    name = actor_name()
    sibling: list[int] = []
    failing_calls = 0

    async def fails_once(order: Order) -> None:
        nonlocal failing_calls
        failing_calls += 1
        if failing_calls == 1:
            raise walnats.Reject("bad")

    async def other(order: Order) -> None:
        sibling.append(order.id)

    actors = [walnats.Actor(name, event, fails_once), walnats.Actor(actor_name(), event, other)]
    async with walnats.Actors(*actors).connect(nats_url) as conn:
        await conn.register()
        await asyncio.wait_for(conn.listen(burst=True), 10)
        dead = walnats.DeadLetters(conn.client)
        [letter] = await dead.list(name)
        assert letter.reason == "rejected"
        await dead.retry(letter.sequence)
        await asyncio.wait_for(conn.listen(burst=True), 10)
    assert failing_calls == 2
    assert sibling == [1]


async def test_decode_error__dead_letter_on_first_delivery(nats_url: str) -> None:
    """A malformed payload is dead-lettered at once and the worker keeps going."""
    event = order_event()
    await emit_one(nats_url, event, payload=b'{"id": "not a number"}')
    await emit_one(nats_url, event)
    name = actor_name()
    handled: list[int] = []

    async def handle(order: Order) -> None:
        handled.append(order.id)

    async with walnats.Actors(walnats.Actor(name, event, handle)).connect(nats_url) as conn:
        await conn.register()
        await asyncio.wait_for(conn.listen(burst=True), 10)
        [letter] = await walnats.DeadLetters(conn.client).list(name)
    assert handled == [1]
    assert letter.reason == "undecodable"
    assert letter.attempts == 1
    assert letter.error_type == "walnats._errors.DecodeError"
    assert "Expected `int`, got `str` - at `$.id`" in (letter.error or "")


async def test_retry__handler_requests_delay(nats_url: str) -> None:
    """raise walnats.Retry(delay) overrides the policy's delay for that attempt."""
    event = order_event()
    await emit_one(nats_url, event)
    loop = asyncio.get_running_loop()
    calls: list[float] = []
    done = asyncio.Event()

    async def later(order: Order) -> None:
        calls.append(loop.time())
        if len(calls) == 1:
            raise walnats.Retry(delay=0.4)
        done.set()

    actor = walnats.Actor(actor_name(), event, later, retry=walnats.RetryPolicy(initial=5))
    async with walnats.Actors(actor).connect(nats_url) as conn:
        await conn.register()
        await listen_until(conn, done, 10)
    assert 0.4 <= calls[1] - calls[0] < 1.0


async def test_job_timeout__counts_as_failed_attempt(nats_url: str) -> None:
    """A job that runs past job_timeout fails its attempt and is retried."""
    event = order_event()
    await emit_one(nats_url, event)
    attempts: list[int] = []
    done = asyncio.Event()

    async def slow_first(order: Order, ctx: walnats.Context[Order]) -> None:
        attempts.append(ctx.attempt)
        if ctx.attempt == 1:
            await asyncio.sleep(5)
        done.set()

    actor = walnats.Actor(
        actor_name(), event, slow_first, job_timeout=0.2, retry=walnats.RetryPolicy(delays=(0,))
    )
    async with walnats.Actors(actor).connect(nats_url) as conn:
        await conn.register()
        await listen_until(conn, done, 10)
    assert attempts == [1, 2]


async def test_non_retryable__straight_to_dead_letters(nats_url: str) -> None:
    """Exceptions declared non-retryable skip the remaining attempts."""
    event = order_event()
    await emit_one(nats_url, event)
    name = actor_name()
    calls = 0

    async def handle(order: Order) -> None:
        nonlocal calls
        calls += 1
        raise KeyError("missing")

    policy = walnats.RetryPolicy(max_attempts=5, non_retryable=(KeyError,))
    async with walnats.Actors(walnats.Actor(name, event, handle, retry=policy)).connect(
        nats_url
    ) as c:
        await c.register()
        await asyncio.wait_for(c.listen(burst=True), 10)
        assert await walnats.DeadLetters(c.client).count(name) == 1
    assert calls == 1


async def test_dead_letters__purge(nats_url: str) -> None:
    """purge() removes an actor's dead letters and reports how many."""
    event = order_event()
    for _ in range(3):
        await emit_one(nats_url, event)
    name = actor_name()

    async def handle(order: Order) -> None:
        raise walnats.Reject("no")

    async with walnats.Actors(walnats.Actor(name, event, handle)).connect(nats_url) as conn:
        await conn.register()
        await asyncio.wait_for(conn.listen(burst=True), 10)
        dead = walnats.DeadLetters(conn.client)
        assert await dead.count(name) == 3
        assert await dead.purge(name) == 3
        assert await dead.list(name) == []
        with pytest.raises(walnats.WalnatsError, match="no dead letter with sequence 999999"):
            await dead.get(999999)


async def test_pulse__long_job_is_not_redelivered(nats_url: str) -> None:
    """A job running past ack_wait is kept alive by in_progress pulses: one call only."""
    event = order_event()
    await emit_one(nats_url, event)
    calls = 0
    done = asyncio.Event()

    async def long_job(order: Order) -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(2.5)
        done.set()

    actor = walnats.Actor(actor_name(), event, long_job, ack_wait=1, job_timeout=10)
    async with walnats.Actors(actor).connect(nats_url) as conn:
        await conn.register()
        await listen_until(conn, done, 10)
        await asyncio.sleep(0.2)
    assert calls == 1


def blocking_job(order: Order) -> None:
    import time

    time.sleep(1.0 if order.item == "slow" else 0)
    THREAD_CALLS.append(order.item)


THREAD_CALLS: list[str] = []


async def test_job_timeout__enforced_for_sync_handler_in_thread(nats_url: str) -> None:
    """A sync handler in a thread that outlives job_timeout fails its attempt."""
    event = order_event()
    async with walnats.Events(event).connect(nats_url) as conn:
        await conn.register()
        await conn.emit(event, Order(1, item="slow"))
    name = actor_name()
    THREAD_CALLS.clear()
    actor = walnats.Actor(name, event, blocking_job, job_timeout=0.2, max_attempts=1)
    async with walnats.Actors(actor).connect(nats_url) as conn:
        await conn.register()
        await asyncio.wait_for(conn.listen(burst=True), 10)
        [letter] = await walnats.DeadLetters(conn.client).list(name)
    assert letter.reason == "exhausted"
    assert letter.error == "job timed out after 0.2s"


async def test_double_ack__confirmed(nats_url: str) -> None:
    """With double_ack the ack is confirmed by the server; nothing stays pending."""
    event = order_event()
    await emit_one(nats_url, event)
    name = actor_name()
    got: list[int] = []

    async def handle(order: Order) -> None:
        got.append(order.id)

    actor = walnats.Actor(name, event, handle, double_ack=True)
    async with walnats.Actors(actor).connect(nats_url) as conn:
        await conn.register()
        await asyncio.wait_for(conn.listen(burst=True), 10)
        info = await conn.client.jetstream().consumer_info(event.name, name)
    assert got == [1]
    assert (info.num_ack_pending, info.num_pending) == (0, 0)


def sleepy_process_job(order: Order) -> None:
    """Runs in a worker process and outlives the job timeout."""
    import time

    time.sleep(1.5)


async def test_job_timeout__enforced_for_process_pool(nats_url: str) -> None:
    """A handler in a process pool that outlives job_timeout fails its attempt."""
    event = order_event()
    await emit_one(nats_url, event)
    name = actor_name()
    actor = walnats.Actor(
        name,
        event,
        sleepy_process_job,
        execute_in=walnats.ExecuteIn.PROCESS,
        job_timeout=0.3,
        max_attempts=1,
    )
    async with walnats.Actors(actor).connect(nats_url) as conn:
        await conn.register()
        await asyncio.wait_for(conn.listen(burst=True, max_processes=1), 20)
        [letter] = await walnats.DeadLetters(conn.client).list(name)
    assert letter.error == "job timed out after 0.3s"


async def test_redrive__expired_request_is_handled_again(nats_url: str) -> None:
    """A re-driven request is handled even though its requester gave up long ago."""
    event = order_event().with_response(int)
    name = actor_name()
    calls = 0

    async def answer(order: Order) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise walnats.Reject("not yet")
        return 1

    actor = walnats.Actor(name, event, answer)
    async with (
        walnats.Events(event).connect(nats_url) as pub,
        walnats.Actors(actor).connect(nats_url) as sub,
    ):
        await pub.register()
        await sub.register()
        task = asyncio.create_task(sub.listen())
        with pytest.raises(walnats.ResponseError, match="not yet"):
            await pub.request(event, Order(1), timeout=0.5, expire=True)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0.6)  # the request's expiry has passed
        dead = walnats.DeadLetters(sub.client)
        [letter] = await dead.list(name)
        await dead.retry(letter.sequence)
        await asyncio.wait_for(sub.listen(burst=True), 10)
    assert calls == 2
