"""Scenario 7: rebuilding a projection from a stream of stored events.

``projections.replay()`` is timed as a whole: it takes the claim, empties the read
model and resets the checkpoint in one transaction, then reads the stream from the
start in batches of 500, each committed with its checkpoint, until it has caught up.
The reference reads the same stream with nats-py's ordered consumer and decodes every
event, without a database. The target row's handler writes nothing (the cost of
replaying itself); the second row writes one ORM row per event (scenario 6's read
model), to show what a realistic rebuild achieves.
"""

from __future__ import annotations

import asyncio

from nats.aio.msg import Msg

import projections
import walnats

from .._bench import Bench, BenchmarkError, sink
from .._meter import Sample
from .._scenario import Impl, Scenario, Target
from ._consumers import decoder
from ._databases import expect_rows, fresh_database
from .projection import order_projection

__all__ = ["SCENARIO"]

RAW = "raw ordered read (callback)"
RAW_NEXT = "raw ordered read (next_msg)"


async def _raw(bench: Bench, n: int) -> Sample:
    """``js.subscribe(ordered_consumer=True)`` with a callback that decodes each event."""
    async with bench.stream("replay-raw", fill=n) as event:
        nc = await bench.connect()
        try:
            decode = decoder()
            done = asyncio.Event()
            handled = 0

            async def on_msg(msg: Msg) -> None:
                nonlocal handled
                sink(decode(msg.data))
                handled += 1
                if handled == n:
                    done.set()

            meter = bench.meter()
            meter.start()
            sub = await nc.jetstream().subscribe(
                event.filter_subject, stream=event.stream_name, ordered_consumer=True, cb=on_msg
            )
            await done.wait()
            sample = await meter.stop(n)
            await sub.unsubscribe()
        finally:
            await nc.close()
    return sample


async def _raw_next_msg(bench: Bench, n: int) -> Sample:
    """The same ordered consumer read with ``await sub.next_msg()`` (as scenario 8 does)."""
    async with bench.stream("replay-raw-next", fill=n) as event:
        nc = await bench.connect()
        try:
            decode = decoder()
            meter = bench.meter()
            meter.start()
            sub = await nc.jetstream().subscribe(
                event.filter_subject, stream=event.stream_name, ordered_consumer=True
            )
            for _ in range(n):
                msg = await sub.next_msg(timeout=5)
                sink(decode(msg.data))
            sample = await meter.stop(n)
            await sub.unsubscribe()
        finally:
            await nc.close()
    return sample


async def _replay(bench: Bench, n: int, *, write: bool) -> Sample:
    """``projections.replay()`` of a projection over *n* stored events, into SQLite."""
    async with (
        fresh_database("sqlite") as engine,
        bench.stream("replay-walnats", fill=n) as event,
        walnats.Events(event).connect(bench.url) as conn,
    ):
        done = asyncio.Event()
        projection = order_projection(bench, event, n, done, write=write)
        meter = bench.meter()
        meter.start()
        [report] = await projections.replay(projection, nc=conn.client, db=engine)
        await conn.client.flush()
        sample = await meter.stop(n)
        if report.events != n or not done.is_set():
            raise BenchmarkError(f"replay of {projection.name} read {report.events} of {n} events")
        await expect_rows(engine, n if write else 0)
    return sample


async def _no_sql(bench: Bench, n: int) -> Sample:
    return await _replay(bench, n, write=False)


async def _orm_rows(bench: Bench, n: int) -> Sample:
    return await _replay(bench, n, write=True)


SCENARIO = Scenario(
    number=7,
    key="replay",
    title="replay / rebuild",
    measures=(
        "projections.replay() of a projection over a stream of stored events (100,000; "
        "quick: 20,000) into SQLite, against nats-py's ordered consumer reading and "
        "decoding the same stream."
    ),
    impls=(
        Impl(RAW, "raw", _raw),
        Impl(RAW_NEXT, "raw", _raw_next_msg),
        Impl(
            "walnats replay, no SQL",
            "walnats",
            _no_sql,
            Target(">=", 0.80, RAW),
            compare=(RAW_NEXT,),
        ),
        Impl("walnats replay, ORM row per event", "walnats", _orm_rows, compare=(RAW,)),
    ),
    size=lambda o: o.replay_events,
    rounds=lambda o: min(o.rounds, 3),
)
