"""Subscriber side: delivery, concurrency, pools, graceful stop, context."""

from __future__ import annotations

import asyncio
import os
import threading
from collections import Counter

import pytest

import walnats
from tests.helpers import Order, actor_name, order_event


async def emit_orders(url: str, event: walnats.Event[Order], count: int) -> None:
    async with walnats.Events(event).connect(url) as conn:
        await conn.register()
        await conn.emit_many(event, [Order(i) for i in range(count)])


async def run_burst(url: str, *actors: walnats.Actor[Order, None], **listen: object) -> None:
    async with walnats.Actors(*actors).connect(url) as conn:
        await conn.register()
        await asyncio.wait_for(conn.listen(burst=True, **listen), 30)  # type: ignore[arg-type]


async def test_listen__event_before_actor_is_delivered(nats_url: str) -> None:
    """Events emitted before the actor existed are kept and delivered to it later."""
    event = order_event()
    await emit_orders(nats_url, event, 5)
    got: list[int] = []

    async def handle(order: Order) -> None:
        got.append(order.id)

    await run_burst(nats_url, walnats.Actor(actor_name(), event, handle))
    assert sorted(got) == [0, 1, 2, 3, 4]


async def test_listen__two_actors_each_get_every_event_once(nats_url: str) -> None:
    """Every actor receives every event, each exactly once in the normal path."""
    event = order_event()
    await emit_orders(nats_url, event, 300)
    seen: dict[str, Counter[int]] = {"a": Counter(), "b": Counter()}

    def make(key: str) -> walnats.Actor[Order, None]:
        async def handle(order: Order) -> None:
            seen[key][order.id] += 1

        return walnats.Actor(actor_name(), event, handle)

    await run_burst(nats_url, make("a"), make("b"))
    for counts in seen.values():
        assert set(counts) == set(range(300))
        assert set(counts.values()) == {1}


async def test_listen__respects_max_jobs(nats_url: str) -> None:
    """No more jobs run at once than the actor's max_jobs."""
    event = order_event()
    await emit_orders(nats_url, event, 40)
    running = 0
    peak = 0

    async def handle(order: Order) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    await run_burst(nats_url, walnats.Actor(actor_name(), event, handle, max_jobs=3))
    assert peak == 3


async def test_listen__global_max_jobs(nats_url: str) -> None:
    """listen(max_jobs=N) caps jobs across all actors of the worker."""
    event = order_event()
    await emit_orders(nats_url, event, 30)
    running = 0
    peak = 0

    async def handle(order: Order) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    actors = [walnats.Actor(actor_name(), event, handle, max_jobs=4) for _ in range(3)]
    await run_burst(nats_url, *actors, max_jobs=5)
    assert peak <= 5


def sync_handler(order: Order) -> None:
    THREADS.add(threading.get_ident())


THREADS: set[int] = set()


async def test_listen__sync_handler_runs_in_thread(nats_url: str) -> None:
    """A plain def handler runs in a thread, not in the event loop's thread."""
    event = order_event()
    await emit_orders(nats_url, event, 10)
    THREADS.clear()
    actor = walnats.Actor(actor_name(), event, sync_handler)
    assert actor.runs_in is walnats.ExecuteIn.THREAD
    await run_burst(nats_url, actor)
    assert THREADS
    assert threading.get_ident() not in THREADS


def record_pid(order: Order) -> int:
    """Runs in a worker process: report which one."""
    return os.getpid()


async def test_listen__process_pool(nats_url: str) -> None:
    """ExecuteIn.PROCESS runs the handler in another process and returns its result."""
    event = order_event().with_response(int)
    actor = walnats.Actor(actor_name(), event, record_pid, execute_in=walnats.ExecuteIn.PROCESS)
    async with (
        walnats.Events(event).connect(nats_url) as pub,
        walnats.Actors(actor).connect(nats_url) as sub,
    ):
        await pub.register()
        await sub.register()
        task = asyncio.create_task(sub.listen(max_processes=1))
        try:
            pid = await pub.request(event, Order(1), timeout=20)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert pid != os.getpid()


async def test_listen__graceful_stop_finishes_running_jobs(nats_url: str) -> None:
    """Cancelling listen() lets running jobs finish and acks them; the rest stays pending."""
    event = order_event()
    await emit_orders(nats_url, event, 20)
    started = asyncio.Event()
    finished: list[int] = []

    async def slow(order: Order) -> None:
        started.set()
        await asyncio.sleep(0.3)
        finished.append(order.id)

    name = actor_name()
    actor = walnats.Actor(name, event, slow, max_jobs=2)
    async with walnats.Actors(actor).connect(nats_url) as conn:
        await conn.register()
        task = asyncio.create_task(conn.listen())
        await started.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled() or task.exception() is None
        info = await conn.client.jetstream().consumer_info(event.name, name)
    assert len(finished) == 2
    assert info.num_ack_pending == 0
    assert info.num_pending + info.num_ack_pending == 18
    # what was not handled is handled by the next worker, once
    rest: list[int] = []

    async def collect(order: Order) -> None:
        rest.append(order.id)

    await run_burst(nats_url, walnats.Actor(name, event, collect, max_jobs=2))
    assert sorted(rest + finished) == list(range(20))


async def test_listen__without_register_is_clear(nats_url: str) -> None:
    """listen() before register() names the missing consumer and the fix."""
    event = order_event()
    await emit_orders(nats_url, event, 1)

    async def handle(order: Order) -> None:
        pass

    async with walnats.Actors(walnats.Actor(actor_name(), event, handle)).connect(nats_url) as c:
        with pytest.raises(walnats.ConsumerNotFound, match=r"call `await conn.register\(\)`"):
            await c.listen(burst=True)


async def test_register__creates_missing_stream_or_fails(nats_url: str) -> None:
    """Actors may register first (stream created from the shared declaration) or refuse."""
    event = order_event()

    async def handle(order: Order) -> None:
        pass

    actors = walnats.Actors(walnats.Actor(actor_name(), event, handle))
    async with actors.connect(nats_url) as conn:
        with pytest.raises(walnats.StreamNotFound, match=r"does not exist and create=False"):
            await conn.register(create_streams=False)
        await conn.register()
        info = await conn.client.jetstream().stream_info(event.name)
    assert info.config.subjects == [event.name, f"{event.name}.delayed.*"]


async def test_handler__context(nats_url: str) -> None:
    """A handler with a second parameter gets typed delivery metadata."""
    event = order_event()
    async with walnats.Events(event).connect(nats_url) as conn:
        await conn.register()
        receipt = await conn.emit(event, Order(1), uid="the-id", trace_id="trace-1")
    seen: list[tuple[int, int, str | None, str | None, str]] = []

    async def handle(order: Order, ctx: walnats.Context[Order]) -> None:
        seen.append((ctx.attempt, ctx.sequence, ctx.event_id, ctx.trace_id, ctx.stream))

    await run_burst(nats_url, walnats.Actor(actor_name(), event, handle))
    assert seen == [(1, receipt.sequence, "the-id", "trace-1", event.name)]


async def test_middleware__hooks_in_order(nats_url: str) -> None:
    """Global and per-actor middlewares see start and success (or failure) of each job."""
    event = order_event()
    await emit_orders(nats_url, event, 2)
    calls: list[str] = []

    class Record(walnats.Middleware):
        def __init__(self, tag: str) -> None:
            self.tag = tag

        async def on_start(self, ctx: walnats.Context[object]) -> None:
            calls.append(f"{self.tag}:start")

        async def on_success(self, ctx: walnats.OkContext[object]) -> None:
            calls.append(f"{self.tag}:ok")

    async def handle(order: Order) -> None:
        calls.append("handler")

    actor = walnats.Actor(actor_name(), event, handle, middlewares=(Record("actor"),), max_jobs=1)
    await run_burst(nats_url, actor, middlewares=[Record("global")])
    assert calls == ["global:start", "actor:start", "handler", "actor:ok", "global:ok"] * 2


async def test_listen__rate_limit(nats_url: str) -> None:
    """rate_limit spaces job starts: 10 jobs at 20/s take about half a second."""
    event = order_event()
    await emit_orders(nats_url, event, 10)
    loop = asyncio.get_running_loop()
    starts: list[float] = []

    async def handle(order: Order) -> None:
        starts.append(loop.time())

    await run_burst(nats_url, walnats.Actor(actor_name(), event, handle, rate_limit=20))
    assert len(starts) == 10
    assert 0.4 <= starts[-1] - starts[0] < 1.5


async def test_listen__priority_gets_slots_first(nats_url: str) -> None:
    """With one shared slot, the high-priority actor's backlog is handled first."""
    event = order_event()
    await emit_orders(nats_url, event, 5)
    order: list[str] = []

    def make(tag: str, priority: walnats.Priority) -> walnats.Actor[Order, None]:
        async def handle(o: Order) -> None:
            order.append(tag)
            await asyncio.sleep(0.01)

        return walnats.Actor(actor_name(), event, handle, priority=priority, max_jobs=1)

    await run_burst(
        nats_url, make("low", walnats.Priority.LOW), make("high", walnats.Priority.HIGH), max_jobs=1
    )
    assert order[:5].count("high") >= 4
    assert sorted(order) == ["high"] * 5 + ["low"] * 5


async def test_listen__stop_timeout_returns_abandoned_jobs_at_once(nats_url: str) -> None:
    """A job cut off by stop_timeout is given back at once, not after ack_wait."""
    event = order_event()
    await emit_orders(nats_url, event, 1)
    started = asyncio.Event()

    async def stuck(order: Order) -> None:
        started.set()
        await asyncio.sleep(30)

    name = actor_name()
    actor = walnats.Actor(name, event, stuck, ack_wait=30, job_timeout=60)
    async with walnats.Actors(actor).connect(nats_url) as conn:
        await conn.register()
        task = asyncio.create_task(conn.listen(stop_timeout=0.1))
        await started.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    got: list[int] = []

    async def handle(order: Order) -> None:
        got.append(order.id)

    loop = asyncio.get_running_loop()
    began = loop.time()
    await run_burst(nats_url, walnats.Actor(name, event, handle, ack_wait=30, job_timeout=60))
    assert got == [0]
    assert loop.time() - began < 5


async def test_middleware__failing_start_hook_fails_the_attempt(nats_url: str) -> None:
    """A raising on_start hook counts as a failed attempt: retried, never left hanging."""
    event = order_event()
    await emit_orders(nats_url, event, 1)
    calls: list[int] = []

    class Flaky(walnats.Middleware):
        async def on_start(self, ctx: walnats.Context[object]) -> None:
            if ctx.attempt == 1:
                raise RuntimeError("metrics backend down")

    async def handle(order: Order, ctx: walnats.Context[Order]) -> None:
        calls.append(ctx.attempt)

    policy = walnats.RetryPolicy(delays=(0,))
    actor = walnats.Actor(actor_name(), event, handle, retry=policy, middlewares=(Flaky(),))
    async with walnats.Actors(actor).connect(nats_url) as conn:
        await conn.register()
        task = asyncio.create_task(conn.listen())
        for _ in range(100):
            if calls:
                break
            await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert calls == [2]
