"""Contract, continued: reactors with their ledger, horizons and replays."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rm_contract import eventually
from rm_kit import (
    Deposited,
    balance_projection,
    deposit_event,
    emit_deposits,
    make_deposits,
    outbox,
    read_balances,
)
from sqlalchemy.ext.asyncio import AsyncEngine

import walnats
from projections._read import (
    ProjectionRunner,
    Reactor,
    ReactorContext,
    ReactorRunner,
    prune_ledger,
    replay,
    rewind_reactor,
)
from walnats.testing import unique_name

FAST = walnats.RetryPolicy(max_attempts=3, initial=0.01, jitter=0)


async def outbox_rows(engine: AsyncEngine) -> list[tuple[str, str, bool]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(outbox.c.event_id, outbox.c.account, outbox.c.replaying).order_by(outbox.c.id)
        )
        return [(r.event_id, r.account, bool(r.replaying)) for r in rows]


class Recorder:
    """A reactor handler that writes an outbox row and counts its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []

    async def __call__(self, event: Deposited, ctx: ReactorContext[Deposited]) -> None:
        self.calls.append((event.account, ctx.replaying))
        await ctx.session.execute(
            sa.insert(outbox).values(
                event_id=ctx.event_id, account=event.account, replaying=ctx.replaying
            )
        )


async def drained(nc: Any, reactor: Reactor[Any]) -> bool:
    info = await nc.jetstream().consumer_info(reactor.event.stream_name, reactor.name)
    return info.num_pending == 0 and info.num_ack_pending == 0


class ReactorContract:
    """Side effects happen once per event and never again on replays."""

    async def test_reactor__ledger_skips_events_seen_before(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """A rewound reactor reads everything again and sends nothing twice."""
        event = deposit_event()
        record = Recorder()
        reactor = Reactor(unique_name("confirm"), event, record, start="all", replay="run")
        await emit_deposits(nc, event, make_deposits(20))
        async with ReactorRunner([reactor], nc, migrated):
            await eventually(lambda: _count(migrated, 20))
        await rewind_reactor(reactor, nc, migrated)
        async with ReactorRunner([reactor], nc, migrated):
            await eventually(lambda: drained(nc, reactor))
        assert len(await outbox_rows(migrated)) == 20
        assert len(record.calls) == 20
        assert await prune_ledger(migrated, older_than=-1, reactor=reactor.name) == 20

    async def test_reactor__a_new_reactor_does_not_fire_for_history(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """start='new': events stored before the reactor existed are history, skipped."""
        event = deposit_event()
        record = Recorder()
        reactor = Reactor(unique_name("confirm"), event, record)
        await emit_deposits(nc, event, make_deposits(10))
        async with ReactorRunner([reactor], nc, migrated):
            await eventually(lambda: drained(nc, reactor))
            await emit_deposits(nc, event, [Deposited("late", 1)])
            await eventually(lambda: _count(migrated, 1))
        assert record.calls == [("late", False)]

    async def test_reactor__replay_mode_is_visible_to_the_handler(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """replay='run' hands history over with ctx.replaying set, live events without."""
        event = deposit_event()
        record = Recorder()
        reactor = Reactor(unique_name("confirm"), event, record, replay="run")
        await emit_deposits(nc, event, make_deposits(3))
        async with ReactorRunner([reactor], nc, migrated):
            await eventually(lambda: _count(migrated, 3))
            await emit_deposits(nc, event, [Deposited("live", 1)])
            await eventually(lambda: _count(migrated, 4))
        assert [flag for _, flag in record.calls] == [True, True, True, False]

    async def test_reactor__follow_ups_are_emitted_once_across_retries(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """A reactor failing after its emit re-emits the same message id: stored once."""
        event = deposit_event()
        follow_up = deposit_event()
        attempts: list[int] = []

        async def forward(payload: Deposited, ctx: ReactorContext[Deposited]) -> None:
            attempts.append(ctx.attempt)
            await ctx.emit(follow_up, payload)
            if ctx.attempt == 1:
                raise RuntimeError("crash after the emit")

        reactor = Reactor(unique_name("fwd"), event, forward, start="all", retry=FAST)
        await emit_deposits(nc, follow_up, [])
        await emit_deposits(nc, event, make_deposits(5))
        async with ReactorRunner([reactor], nc, migrated):
            await eventually(lambda: drained(nc, reactor))
        info = await nc.jetstream().stream_info(follow_up.name)
        assert info.state.messages == 5
        assert sorted(attempts) == [1] * 5 + [2] * 5

    async def test_reactor__projection_replay_does_not_re_send(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """Replaying a projection of the same events never runs the reactor again."""
        event = deposit_event()
        record = Recorder()
        reactor = Reactor(unique_name("confirm"), event, record, start="all")
        projection = balance_projection(event)
        await emit_deposits(nc, event, make_deposits(30))
        async with (
            ReactorRunner([reactor], nc, migrated),
            ProjectionRunner(projection, nc, migrated) as runner,
        ):
            await runner.catch_up()
            await eventually(lambda: _count(migrated, 30))
            before = await read_balances(migrated)
            await replay(projection, nc=nc, db=migrated)
            await runner.catch_up()
            await eventually(lambda: drained(nc, reactor))
        assert await read_balances(migrated) == before
        assert len(record.calls) == 30
        assert len(await outbox_rows(migrated)) == 30


async def _count(engine: AsyncEngine, expected: int) -> bool:
    return len(await outbox_rows(engine)) >= expected
