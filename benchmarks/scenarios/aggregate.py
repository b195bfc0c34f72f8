"""Scenario 8: loading an aggregate of 10,000 events, with and without snapshots."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import msgspec
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

import projections
import walnats

from .._bench import Bench
from .._meter import Sample
from .._payload import OrderPlaced, make_order
from .._scenario import Impl, Scenario, Target
from ._consumers import decoder

__all__ = ["SCENARIO"]

EVENTS = 10_000
"""Events of the loaded aggregate."""
SNAPSHOT_EVERY = 100
_TAIL = SNAPSHOT_EVERY // 2
"""Events after the last snapshot: with a snapshot every 100 events a load replays
0 to 99 of them, 50 on average."""
_CHUNK = 1_000
"""Events per save while filling (the server's atomic batch limit)."""
_SNAPSHOT_LOADS = 20
"""A snapshot load is ~100x faster: do more of them per run for a stable time."""
_AGGREGATE_ID = "a1"

NO_SNAPSHOT = "walnats load, no snapshot"
RAW = "raw ordered read + fold"


class Totals(msgspec.Struct, frozen=True):
    """The aggregate state: what a dashboard would show for one customer."""

    orders: int = 0
    cents: int = 0


def _placed(state: Totals, order: OrderPlaced) -> Totals:
    return Totals(state.orders + 1, state.cents + order.price_cents * order.quantity)


def _declare(bench: Bench, every: int | None) -> projections.Aggregate[Totals]:
    name = bench.name("agg")
    event = walnats.Event("order-placed", OrderPlaced, aggregate=name)
    return projections.Aggregate(
        name,
        state=Totals,
        initial=Totals(),
        apply=[projections.on(event, _placed)],
        snapshot_every=every,
        storage=bench.options.storage,
    )


def _chunk(
    aggregate: projections.Aggregate[Totals], start: int, size: int
) -> list[projections.NewEvent]:
    event = aggregate.apply[0].event
    return [projections.new(event, make_order(seq)) for seq in range(start, start + size)]


class _ChunkCommand:
    """A command that appends orders *start* .. *start + size - 1*, whatever the state."""

    def __init__(self, aggregate: projections.Aggregate[Totals], start: int, size: int) -> None:
        self._aggregate, self._start, self._size = aggregate, start, size

    def __call__(self, state: Totals) -> list[projections.NewEvent]:
        return _chunk(self._aggregate, self._start, self._size)


@asynccontextmanager
async def _filled(
    bench: Bench, every: int | None
) -> AsyncIterator[tuple[projections.Aggregate[Totals], projections.EventStore[Totals]]]:
    """An aggregate with EVENTS events (the last snapshot, if any, _TAIL events back)."""
    aggregate = _declare(bench, every)
    async with aggregate.connect(bench.url) as store:
        try:
            head = EVENTS - _TAIL
            for start in range(0, head, _CHUNK):
                size = min(_CHUNK, head - start)
                # execute() saves against the Loaded state, which takes due snapshots
                await store.execute(_AGGREGATE_ID, _ChunkCommand(aggregate, start, size))
            # the tail is saved against a plain version: no snapshot is taken for it
            await store.save(_AGGREGATE_ID, _chunk(aggregate, head, _TAIL), head)
            yield aggregate, store
        finally:
            js = store.client.jetstream()
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(aggregate.name)
            with contextlib.suppress(NotFoundError):
                await js.delete_key_value(aggregate.bucket)


async def _load(bench: Bench, n: int, every: int | None, loads_per_n: int) -> Sample:
    async with _filled(bench, every) as (_, store):
        count = n * loads_per_n
        meter = bench.meter()
        meter.start()
        for _ in range(count):
            loaded = await store.load(_AGGREGATE_ID)
        sample = await meter.stop(count)
    if loaded.version != EVENTS:
        raise AssertionError(f"loaded version {loaded.version}, expected {EVENTS}")
    sample.extra["replayed"] = loaded.replayed
    return sample


async def _no_snapshot(bench: Bench, n: int) -> Sample:
    return await _load(bench, n, None, 1)


async def _snapshot(bench: Bench, n: int) -> Sample:
    return await _load(bench, n, SNAPSHOT_EVERY, _SNAPSHOT_LOADS)


async def _raw(bench: Bench, n: int) -> Sample:
    """An ordered push consumer over the aggregate's subjects, decode, fold."""
    async with _filled(bench, None) as (aggregate, store):
        js = store.client.jetstream()
        decode = decoder()
        meter = bench.meter()
        meter.start()
        for _ in range(n):
            state = await _raw_load(js, aggregate.subjects_of(_AGGREGATE_ID), decode)
        sample = await meter.stop(n)
    if state.orders != EVENTS:
        raise AssertionError(f"raw load folded {state.orders} events, expected {EVENTS}")
    return sample


async def _raw_load(
    js: JetStreamContext, subjects: str, decode: Callable[[bytes], OrderPlaced]
) -> Totals:
    state = Totals()
    sub = await js.subscribe(subjects, ordered_consumer=True)
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=2)
            except NatsTimeoutError:
                return state
            state = _placed(state, decode(msg.data))
            if msg.metadata.num_pending == 0:
                return state
    finally:
        await sub.unsubscribe()


SCENARIO = Scenario(
    number=8,
    key="aggregate",
    title="aggregate load, 10k events",
    measures=(
        "EventStore.load() of one aggregate with 10,000 events: replaying all of them, "
        "or a snapshot (every 100 events) plus the 50 events after it. Rate: loads/s."
    ),
    impls=(
        Impl(RAW, "raw", _raw),
        Impl(NO_SNAPSHOT, "walnats", _no_snapshot, compare=(RAW,)),
        Impl(
            f"walnats load, snapshot every {SNAPSHOT_EVERY}",
            "walnats",
            _snapshot,
            Target(">=", 20, NO_SNAPSHOT),
        ),
    ),
    size=lambda o: 3 if o.quick else 5,
    unit="loads/s",
)
