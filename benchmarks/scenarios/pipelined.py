"""Scenario 2: pipelined and batch emit, many PubAcks in flight."""

from __future__ import annotations

import asyncio

import msgspec
from nats.nuid import NUID

import walnats

from .._bench import MSG_ID, Bench, pipelined_publish
from .._meter import Sample
from .._payload import OrderPlaced, orders
from .._scenario import Impl, Scenario, Target

__all__ = ["SCENARIO"]

RAW = "raw publish_async"
LOW = "low-level core pub + inbox"


async def _raw(bench: Bench, n: int) -> Sample:
    """``publish_async`` for every event, then await all the futures."""
    messages = list(orders(n))
    async with bench.stream("pipe-raw") as event:
        nc = await bench.connect()
        try:
            js = nc.jetstream()
            encode = msgspec.json.Encoder().encode
            nuid = NUID()
            subject = event.name
            meter = bench.meter()
            meter.start()
            futures = [
                await js.publish_async(
                    subject, encode(message), headers={MSG_ID: nuid.next().decode()}
                )
                for message in messages
            ]
            await asyncio.gather(*futures)
            sample = await meter.stop(n)
        finally:
            await nc.close()
        await bench.expect_stored(event, n)
    return sample


async def _low_level(bench: Bench, n: int) -> Sample:
    """Core publish with one reply inbox and one callback counting PubAcks."""
    messages = list(orders(n))
    async with bench.stream("pipe-low") as event:
        nc = await bench.connect()
        try:
            encode = msgspec.json.Encoder().encode
            nuid = NUID()
            meter = bench.meter()
            meter.start()
            await pipelined_publish(
                nc,
                event.name,
                ((encode(m), {MSG_ID: nuid.next().decode()}) for m in messages),
                n,
            )
            sample = await meter.stop(n)
        finally:
            await nc.close()
        await bench.expect_stored(event, n)
    return sample


async def _walnats_concurrent(bench: Bench, n: int) -> Sample:
    """``emit()`` from many concurrent callers, as in a busy web service."""
    messages = list(orders(n))
    callers = min(bench.options.concurrency, n)
    async with (
        bench.stream("pipe-walnats") as event,
        walnats.Events(event).connect(bench.url) as conn,
    ):
        emit = conn.emit

        async def caller(share: list[OrderPlaced]) -> None:
            for message in share:
                await emit(event, message)

        meter = bench.meter()
        meter.start()
        await asyncio.gather(*(caller(messages[i::callers]) for i in range(callers)))
        sample = await meter.stop(n)
        await bench.expect_stored(event, n)
    return sample


async def _walnats_many(bench: Bench, n: int) -> Sample:
    messages = list(orders(n))
    async with (
        bench.stream("batch-walnats") as event,
        walnats.Events(event).connect(bench.url) as conn,
    ):
        meter = bench.meter()
        meter.start()
        await conn.emit_many(event, messages)
        sample = await meter.stop(n)
        await bench.expect_stored(event, n)
    return sample


SCENARIO = Scenario(
    number=2,
    key="pipelined",
    title="pipelined / batch emit",
    measures=(
        "Many PubAcks in flight: concurrent emit() callers (pipelined) and emit_many "
        "(batch) against publish_async + awaiting the futures."
    ),
    impls=(
        Impl(RAW, "raw", _raw),
        Impl(LOW, "low-level", _low_level, compare=(RAW,)),
        Impl(
            "walnats emit x concurrent",
            "walnats",
            _walnats_concurrent,
            Target(">=", 1.0, RAW),
            compare=(LOW,),
        ),
        Impl("walnats emit_many", "walnats", _walnats_many, Target(">=", 1.5, RAW), compare=(LOW,)),
    ),
    size=lambda o: o.n,
)
