"""Scenario 3: an actor with default settings consumes and acks a filled stream."""

from __future__ import annotations

import asyncio
import contextlib

import walnats

from .._bench import Bench, sink
from .._meter import Sample
from .._payload import OrderPlaced
from .._scenario import Impl, Scenario, Target
from ._consumers import PullLoop, fetch_loop

__all__ = ["SCENARIO", "RAW", "fetch_ack", "walnats_actor"]

RAW = "raw fetch + ack"
LOW = "low-level pull loop"


async def fetch_ack(bench: Bench, n: int, *, ack_sync: bool = False) -> Sample:
    """``fetch(batch)`` + decode + ``ack()`` (or ``ack_sync()``) over *n* stored events."""
    async with bench.stream("consume-raw", fill=n) as event:
        consumer = bench.name("raw")
        await bench.create_consumer(bench.admin, event, consumer)
        nc = await bench.connect()
        try:
            meter = bench.meter()
            meter.start()
            await fetch_loop(
                nc,
                event.stream_name,
                consumer,
                n,
                batch=bench.options.fetch_batch,
                ack_sync=ack_sync,
            )
            await nc.flush()
            sample = await meter.stop(n)
        finally:
            await nc.close()
        await bench.expect_acked(event, consumer)
    return sample


async def _low_level(bench: Bench, n: int) -> Sample:
    async with bench.stream("consume-low", fill=n) as event:
        consumer = bench.name("low")
        await bench.create_consumer(bench.admin, event, consumer)
        nc = await bench.connect()
        done = asyncio.Event()
        handled = 0

        def on_order(order: OrderPlaced) -> None:
            nonlocal handled
            sink(order)
            handled += 1
            if handled == n:
                done.set()

        loop = PullLoop(nc, event.stream_name, consumer, on_order=on_order)
        try:
            meter = bench.meter()
            meter.start()
            await loop.start()
            await done.wait()
            await nc.flush()
            sample = await meter.stop(n)
            await loop.stop()
        finally:
            await nc.close()
        await bench.expect_acked(event, consumer)
    return sample


async def walnats_actor(
    bench: Bench, n: int, *, kind: str = "consume-walnats", double_ack: bool = False
) -> Sample:
    """``Actors.listen()`` with one default ``Actor`` until it handled *n* events."""
    async with bench.stream(kind, fill=n) as event:
        done = asyncio.Event()
        handled = 0

        async def handle(order: OrderPlaced) -> None:
            nonlocal handled
            sink(order)
            handled += 1
            if handled == n:
                done.set()

        actor = walnats.Actor(bench.name("actor"), event, handle, double_ack=double_ack)
        async with walnats.Actors(actor).connect(bench.url) as conn:
            await conn.register()
            meter = bench.meter()
            meter.start()
            listening = asyncio.create_task(conn.listen())
            await done.wait()
            await conn.client.flush()
            sample = await meter.stop(n)
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening
        await bench.expect_acked(event, actor.name)
    return sample


async def _raw(bench: Bench, n: int) -> Sample:
    return await fetch_ack(bench, n)


async def _walnats(bench: Bench, n: int) -> Sample:
    return await walnats_actor(bench, n)


SCENARIO = Scenario(
    number=3,
    key="consume",
    title="consume + ack, default settings",
    measures=(
        "Handle a stream of stored events: decode, call the handler, ack. walnats Actor "
        "with default settings against fetch(batch) + decode + ack()."
    ),
    impls=(
        Impl(RAW, "raw", _raw),
        Impl(LOW, "low-level", _low_level, compare=(RAW,)),
        Impl("walnats Actor", "walnats", _walnats, Target(">=", 1.0, RAW), compare=(LOW,)),
    ),
    size=lambda o: o.n,
)
