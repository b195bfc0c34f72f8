"""Contract, continued: replays, blue/green versions, partitions, standbys, streams."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from rm_contract import checkpoint_of, eventually
from rm_kit import (
    Deposited,
    applier,
    balance_projection,
    balances,
    balances_v2,
    deposit_event,
    emit_deposits,
    fold,
    make_deposits,
    publish_aggregate,
    read_balances,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from projections import Upcaster
from projections._read import (
    EventMeta,
    Progress,
    Projection,
    ProjectionRunner,
    active_version,
    handle,
    projection_status,
    replay,
)
from walnats.testing import unique_name


class ReplayContract:
    """Rebuilding and scaling projections (mixed into the backend test classes)."""

    async def test_replay__from_scratch_equals_incremental(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """A replay from the start rebuilds exactly the read model the runner built."""
        event = deposit_event()
        projection = balance_projection(event)
        deposits = make_deposits(700)
        async with ProjectionRunner(projection, nc, migrated) as runner:
            for start in range(0, 700, 100):  # incremental: many small batches
                await emit_deposits(nc, event, deposits[start : start + 100])
                await runner.catch_up()
        incremental = await read_balances(migrated)
        seen: list[Progress] = []
        [report] = await replay(projection, nc=nc, db=migrated, on_progress=seen.append)
        assert await read_balances(migrated) == incremental == fold(deposits).as_rows()
        assert (report.events, report.applied, dict(report.starts)) == (700, 700, {event.name: 1})
        assert seen[-1].finished
        assert seen[-1].done == seen[-1].total == 700
        status = await projection_status(projection, nc, migrated)
        assert (status.status, status.active, status.behind) == ("live", True, 0)

    async def test_replay__from_a_sequence(self, migrated: AsyncEngine, nc: Any) -> None:
        """from_seq rebuilds the tables from that sequence on."""
        event = deposit_event()
        projection = balance_projection(event)
        deposits = make_deposits(300)
        emitted = await emit_deposits(nc, event, deposits)
        await replay(projection, nc=nc, db=migrated, from_seq=emitted[100].sequence)
        assert await read_balances(migrated) == fold(deposits[100:]).as_rows()
        assert await checkpoint_of(migrated, projection) == {(0, event.name): emitted[-1].sequence}

    async def test_replay__from_a_time(self, migrated: AsyncEngine, nc: Any) -> None:
        """from_time starts at the first event stored at or after that time."""
        event = deposit_event()
        projection = balance_projection(event)
        first, second = make_deposits(50), make_deposits(50, start=50)
        await emit_deposits(nc, event, first)
        await asyncio.sleep(0.05)
        emitted = await emit_deposits(nc, event, second)
        stored = await nc.jetstream().get_msg(event.name, emitted[0].sequence)
        await replay(projection, nc=nc, db=migrated, from_time=stored.time)
        assert await read_balances(migrated) == fold(second).as_rows()

    async def test_replay__takes_over_from_a_running_runner(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """A running runner stands by during a replay and continues after it."""
        event = deposit_event()
        projection = balance_projection(event)
        deposits = make_deposits(400)
        async with ProjectionRunner(projection, nc, migrated, lease=3) as runner:
            await emit_deposits(nc, event, deposits[:200])
            await runner.catch_up()
            await replay(projection, nc=nc, db=migrated)
            await emit_deposits(nc, event, deposits[200:])
            await runner.catch_up(timeout=20)
        assert await read_balances(migrated) == fold(deposits).as_rows()

    async def test_versions__blue_green_switches_when_caught_up(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """Version 2 builds side by side into its own table, then becomes the active one."""
        event = deposit_event()
        deposits = make_deposits(300)
        v1 = balance_projection(event)
        v2 = balance_projection(event, version=2, table=balances_v2)
        await emit_deposits(nc, event, deposits)
        async with ProjectionRunner(v1, nc, migrated) as one:
            await one.catch_up()
            assert await active_version("balances", migrated) == 1
            async with ProjectionRunner(v2, nc, migrated) as two:
                await two.catch_up()
                await eventually(lambda: _is_active(migrated, 2))
        assert await read_balances(migrated, balances_v2) == await read_balances(migrated)
        assert (await projection_status(v1, nc, migrated)).active is False
        async with ProjectionRunner(v1, nc, migrated) as one:  # the old version restarts
            await emit_deposits(nc, event, make_deposits(10))
            await one.catch_up()
        assert await active_version("balances", migrated) == 2  # switching only goes forward

    async def test_partitions__four_workers_keep_each_aggregate_in_order(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """Four partition workers apply every event once, each aggregate in stream order."""
        aggregate = unique_name("acct")
        event = deposit_event("deposited", aggregate=aggregate)
        projection = balance_projection(event, partitions=4, batch_size=50)
        deposits = make_deposits(2000, accounts=40)
        await publish_aggregate(nc, aggregate, deposits[:1000])
        runners = [ProjectionRunner(projection, nc, migrated, partitions=[k]) for k in range(4)]
        for runner in runners:
            await runner.start()
        try:
            await publish_aggregate(nc, aggregate, deposits[1000:])
            await runners[0].catch_up(timeout=30)
            applied = [w.applied for r in runners for w in r._workers.values()]
        finally:
            for runner in runners:
                await runner.stop()
        assert await read_balances(migrated) == fold(deposits).as_rows()  # disorder == 0
        assert sum(applied) == 2000
        assert all(applied)
        checkpoints = await checkpoint_of(migrated, projection)
        assert sorted(checkpoints) == [(k, aggregate) for k in range(4)]

    async def test_single_active__a_standby_takes_over(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """Two runners of one projection: one applies, the other takes over when it stops."""
        event = deposit_event()
        projection = balance_projection(event)
        deposits = make_deposits(200)
        first = ProjectionRunner(projection, nc, migrated)
        second = ProjectionRunner(projection, nc, migrated)
        await first.start()
        await emit_deposits(nc, event, deposits[:100])
        await first.catch_up()
        await second.start()
        await asyncio.sleep(0.2)
        assert not second._workers
        await first.stop()
        await emit_deposits(nc, event, deposits[100:])
        await second.catch_up(timeout=10)
        assert second._workers
        await second.stop()
        assert await read_balances(migrated) == fold(deposits).as_rows()

    async def test_streams__one_projection_reads_plain_and_aggregate_events(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """Events from two streams land in one read model with a checkpoint per stream."""
        plain = deposit_event()
        aggregate = unique_name("acct")
        owned = deposit_event("deposited", aggregate=aggregate)
        projection = Projection(
            "balances",
            handlers=[handle(plain, applier()), handle(owned, applier())],
            tables=[balances],
        )
        async with ProjectionRunner(projection, nc, migrated) as runner:
            [last_plain] = (await emit_deposits(nc, plain, [Deposited("p", 3)]))[-1:]
            sequences = await publish_aggregate(nc, aggregate, [Deposited("q", 4)] * 3)
            assert await runner.wait_for(aggregate, sequences[-1], timeout=10)
            assert await runner.wait_for(plain.name, last_plain.sequence, timeout=10)
        assert await read_balances(migrated) == {"p": (3, 1, 0), "q": (12, 3, 0)}

    async def test_upcasting__old_schemas_are_upcast_on_apply_and_replay(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """Events stored as schema v1 reach a v2 handler through the projection's upcasters."""
        event = deposit_event()
        seen: list[int] = []

        async def v2(payload: Deposited, meta: EventMeta, session: Any) -> None:
            seen.append(meta.schema_version)
            await applier()(payload, meta, session)

        projection = Projection(
            "balances",
            handlers=[handle(event, v2, version=2)],
            tables=[balances],
            upcasters=[
                Upcaster(event.name, 1, lambda d: {"account": d["who"], "amount": d["cents"]})
            ],
        )
        js = nc.jetstream()
        await emit_deposits(nc, event, [])
        await js.publish(event.name, msgspec.json.encode({"who": "old", "cents": 7}))
        await js.publish(
            event.name,
            msgspec.json.encode(Deposited("new", 5)),
            headers={"Walnats-Schema-Version": "2"},
        )
        async with ProjectionRunner(projection, nc, migrated) as runner:
            await runner.catch_up()
        await replay(projection, nc=nc, db=migrated)
        assert await read_balances(migrated) == {"old": (7, 1, 0), "new": (5, 1, 0)}
        assert seen == [2, 2, 2, 2]


async def _is_active(engine: AsyncEngine, version: int) -> bool:
    return await active_version("balances", engine) == version
