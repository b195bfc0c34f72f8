"""Scenario 9: RSS stays bounded while an actor handles many events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import walnats

from .._bench import Bench, sink
from .._meter import Meter, Sample
from .._payload import OrderPlaced
from .._scenario import Impl, Scenario, Target
from ._consumers import fetch_loop

__all__ = ["GROWTH_LIMIT_MB", "SCENARIO"]

RAW = "raw fetch + ack"
GROWTH_LIMIT_MB = 16.0
"""Allowed RSS growth from the 25 % mark to the end: a leak of even 25 bytes per event
would exceed it over 1M events, while allocator noise stays well below."""
_MARKS = (25, 50, 75, 100)


def _marker(meter: Meter, n: int) -> Callable[[int], None]:
    """Records RSS when the handled count passes 25, 50, 75 and 100 % of *n*."""
    marks = {max(1, n * pct // 100): pct for pct in _MARKS}

    def mark(handled: int) -> None:
        pct = marks.get(handled)
        if pct is not None:
            meter.checkpoint(f"{pct}%")

    return mark


def _finish(sample: Sample) -> Sample:
    """Add the growth from the 25 % mark to the largest later reading."""
    extra = sample.extra
    for kind, key in (("growth_mb", "rss_{}%_mb"), ("growth_blocks", "blocks_{}%")):
        later = [extra[key.format(p)] for p in _MARKS[1:] if key.format(p) in extra]
        base = extra.get(key.format(_MARKS[0]))
        if base is not None and later:
            extra[kind] = max(later) - base
    return sample


async def _raw(bench: Bench, n: int) -> Sample:
    async with bench.stream("memory-raw", fill=n) as event:
        consumer = bench.name("raw")
        await bench.create_consumer(bench.admin, event, consumer)
        nc = await bench.connect()
        meter = bench.meter()
        mark = _marker(meter, n)
        handled = 0

        def on_order(order: OrderPlaced) -> None:
            nonlocal handled
            sink(order)
            handled += 1
            mark(handled)

        try:
            meter.start()
            await fetch_loop(
                nc,
                event.stream_name,
                consumer,
                n,
                batch=bench.options.fetch_batch,
                on_order=on_order,
            )
            await nc.flush()
            sample = await meter.stop(n)
        finally:
            await nc.close()
    return _finish(sample)


async def _walnats(bench: Bench, n: int) -> Sample:
    async with bench.stream("memory-walnats", fill=n) as event:
        done = asyncio.Event()
        meter = bench.meter()
        mark = _marker(meter, n)
        handled = 0

        async def handle(order: OrderPlaced) -> None:
            nonlocal handled
            sink(order)
            handled += 1
            mark(handled)
            if handled == n:
                done.set()

        actor = walnats.Actor(bench.name("actor"), event, handle)
        async with walnats.Actors(actor).connect(bench.url) as conn:
            await conn.register()
            meter.start()
            listening = asyncio.create_task(conn.listen())
            await done.wait()
            await conn.client.flush()
            sample = await meter.stop(n)
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening
    return _finish(sample)


SCENARIO = Scenario(
    number=9,
    key="memory",
    title="memory while handling many events",
    measures=(
        "Python RSS while one default Actor handles --memory-events stored events "
        "(1M by default); bounded means it stops growing after the first quarter."
    ),
    impls=(
        Impl(RAW, "raw", _raw),
        Impl("walnats Actor", "walnats", _walnats, Target("<=", GROWTH_LIMIT_MB)),
    ),
    size=lambda o: o.memory_events,
    metric="memory",
    rounds=lambda o: 1,
    warmup=False,
)
