"""Scenario 5: emit→handler latency at a low, steady rate."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Awaitable, Callable

import msgspec
from nats.nuid import NUID

import walnats

from .._bench import MSG_ID, Bench
from .._meter import Meter, Sample
from .._payload import OrderPlaced, make_order, seq_of
from .._scenario import Impl, Scenario, Target
from ._consumers import PullLoop, fetch_loop

__all__ = ["SCENARIO"]

RAW = "raw js.publish → fetch(1)"
LOW = "low-level pub → pull loop"
_SETTLE = 0.1
"""Seconds for a consumer's first pull request to reach the server before emitting."""


class _Latencies:
    """Send times by sequence number, and the latencies the handlers observed."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.sent: list[float] = [0.0] * n
        self.seen: list[float] = []
        self.done = asyncio.Event()

    def received(self, order: OrderPlaced) -> None:
        self.seen.append(time.perf_counter() - self.sent[seq_of(order)])
        if len(self.seen) == self.n:
            self.done.set()

    def extra(self) -> dict[str, float]:
        ms = sorted(s * 1e3 for s in self.seen)
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        return {"p50_ms": cuts[49], "p99_ms": cuts[98], "max_ms": ms[-1]}


async def _paced(
    bench: Bench, lat: _Latencies, meter: Meter, emit: Callable[[OrderPlaced], Awaitable[object]]
) -> Sample:
    """Emit one event every ``latency_interval`` seconds and wait for all to be handled."""
    interval = bench.options.latency_interval
    await asyncio.sleep(_SETTLE)
    meter.start()
    start = time.perf_counter()
    for seq in range(lat.n):
        delay = start + seq * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        order = make_order(seq)
        lat.sent[seq] = time.perf_counter()
        await emit(order)
    async with asyncio.timeout(30):
        await lat.done.wait()
    sample = await meter.stop(lat.n)
    sample.extra.update(lat.extra())
    return sample


async def _raw(bench: Bench, n: int) -> Sample:
    lat = _Latencies(n)
    async with bench.stream("latency-raw") as event:
        consumer = bench.name("raw")
        await bench.create_consumer(bench.admin, event, consumer)
        pub, sub = await bench.connect(), await bench.connect()
        stop = asyncio.Event()
        reader = asyncio.create_task(
            fetch_loop(
                sub, event.stream_name, consumer, n, batch=1, on_order=lat.received, stop=stop
            )
        )
        try:
            js = pub.jetstream()
            encode = msgspec.json.Encoder().encode
            nuid = NUID()

            async def emit(order: OrderPlaced) -> None:
                await js.publish(event.name, encode(order), headers={MSG_ID: nuid.next().decode()})

            sample = await _paced(bench, lat, bench.meter(), emit)
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(reader, 5)
            await pub.close()
            await sub.close()
    return sample


async def _low_level(bench: Bench, n: int) -> Sample:
    lat = _Latencies(n)
    async with bench.stream("latency-low") as event:
        consumer = bench.name("low")
        await bench.create_consumer(bench.admin, event, consumer)
        pub, sub = await bench.connect(), await bench.connect()
        loop = PullLoop(sub, event.stream_name, consumer, on_order=lat.received)
        await loop.start()
        try:
            encode = msgspec.json.Encoder().encode
            nuid = NUID()
            inbox = pub.new_inbox()
            acks = await pub.subscribe(inbox, cb=_ignore)

            async def emit(order: OrderPlaced) -> None:
                await pub.publish(
                    event.name, encode(order), reply=inbox, headers={MSG_ID: nuid.next().decode()}
                )

            sample = await _paced(bench, lat, bench.meter(), emit)
            await acks.unsubscribe()
        finally:
            await loop.stop()
            await pub.close()
            await sub.close()
    return sample


async def _walnats(bench: Bench, n: int) -> Sample:
    lat = _Latencies(n)
    async with bench.stream("latency-walnats") as event:

        async def handle(order: OrderPlaced) -> None:
            lat.received(order)

        actor = walnats.Actor(bench.name("actor"), event, handle)
        async with (
            walnats.Actors(actor).connect(bench.url) as actors,
            walnats.Events(event).connect(bench.url) as events,
        ):
            await actors.register()
            listening = asyncio.create_task(actors.listen())
            try:

                async def emit(order: OrderPlaced) -> None:
                    await events.emit(event, order)

                sample = await _paced(bench, lat, bench.meter(), emit)
            finally:
                listening.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listening
    return sample


async def _ignore(msg: object) -> None:
    return None


SCENARIO = Scenario(
    number=5,
    key="latency",
    title="emit → handler latency",
    measures=(
        "One event every 2 ms; time from the emit call to the handler, p50 and p99. "
        "Raw: js.publish → fetch(batch=1) + ack."
    ),
    impls=(
        Impl(RAW, "raw", _raw),
        Impl(LOW, "low-level", _low_level, compare=(RAW,)),
        Impl("walnats emit → Actor", "walnats", _walnats, Target("<=", 1.3, RAW), compare=(LOW,)),
    ),
    size=lambda o: o.latency_events,
    metric="latency",
)
