"""Scenario 1: emit with server ack, one awaited at a time."""

from __future__ import annotations

import msgspec
from nats.nuid import NUID

import walnats

from .._bench import MSG_ID, Bench
from .._meter import Sample
from .._payload import orders
from .._scenario import Impl, Scenario, Target

__all__ = ["SCENARIO"]

RAW = "raw js.publish"


async def _raw(bench: Bench, n: int) -> Sample:
    messages = list(orders(n))
    async with bench.stream("emit-raw") as event:
        nc = await bench.connect()
        try:
            js = nc.jetstream()
            encode = msgspec.json.Encoder().encode
            nuid = NUID()
            subject = event.name
            meter = bench.meter()
            meter.start()
            for message in messages:
                await js.publish(subject, encode(message), headers={MSG_ID: nuid.next().decode()})
            sample = await meter.stop(n)
        finally:
            await nc.close()
        await bench.expect_stored(event, n)
    return sample


async def _walnats(bench: Bench, n: int) -> Sample:
    messages = list(orders(n))
    async with (
        bench.stream("emit-walnats") as event,
        walnats.Events(event).connect(bench.url) as conn,
    ):
        emit = conn.emit
        meter = bench.meter()
        meter.start()
        for message in messages:
            await emit(event, message)
        sample = await meter.stop(n)
        await bench.expect_stored(event, n)
    return sample


SCENARIO = Scenario(
    number=1,
    key="emit",
    title="emit, one awaited at a time",
    measures="Publish and wait for the PubAck before the next event.",
    impls=(
        Impl(RAW, "raw", _raw),
        Impl("walnats emit", "walnats", _walnats, Target(">=", 0.95, RAW)),
    ),
    size=lambda o: o.n,
)
