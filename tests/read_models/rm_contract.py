"""The contract every database backend passes: projections, failures, replays, reactors.

Subclassed per backend in ``test_read_backends.py`` (SQLite always, PostgreSQL via the
``postgres_url`` fixture), as eventsourcing does with its recorder test cases.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from rm_kit import (
    Deposited,
    balance_projection,
    balances,
    create_tables,
    deposit_event,
    emit_deposits,
    fold,
    make_deposits,
    read_balances,
)
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine

import projections
import walnats
from projections._read import (
    DatabaseNotMigrated,
    EventMeta,
    Projection,
    ProjectionRunner,
    ProjectionStopped,
    database_revision,
    downgrade_database,
    handle,
    projection_lag,
    projection_status,
    toolkit_metadata,
    upgrade_database,
)
from projections._read._checkpoints import load_checkpoints
from projections._read._tables import VERSION_TABLE
from walnats.testing import unique_name

FAST_RETRY = walnats.RetryPolicy(max_attempts=2, initial=0.01, jitter=0)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def checkpoint_of(engine: AsyncEngine, projection: Projection) -> dict[tuple[int, str], int]:
    async with engine.connect() as connection:
        from sqlalchemy.ext.asyncio import AsyncSession

        async with AsyncSession(connection) as session:
            return await load_checkpoints(session, projection.name, projection.version)


def fail_commits(engine: AsyncEngine, times: int, *, after_commit: bool = False) -> list[int]:
    """Make the next *times* commits fail like an outage; returns the remaining count.

    With *after_commit*, the commit happens and then reports a failure (the client
    cannot tell whether a commit whose answer was lost went through).
    """
    left = [times]

    def on_commit(connection: sa.Connection) -> None:
        if left[0] <= 0:
            return
        left[0] -= 1
        if after_commit:
            connection.connection.dbapi_connection.commit()  # type: ignore[union-attr]
        raise sa.exc.OperationalError("COMMIT", {}, ConnectionError("injected outage"))

    sa_event.listen(engine.sync_engine, "commit", on_commit)
    return left


class ReadModelContract:
    """Behaviour every backend shares. Subclasses provide the ``db`` fixture."""

    @pytest.fixture
    def db(self) -> AsyncEngine:
        raise NotImplementedError

    @pytest.fixture
    async def migrated(self, db: AsyncEngine) -> AsyncEngine:
        await upgrade_database(db)
        await create_tables(db)
        return db

    @pytest.fixture
    async def nc(self, nats_url: str) -> AsyncIterator[Any]:
        async with walnats.Events().connect(nats_url) as conn:
            yield conn.client

    # ------------------------------------------------------------------ migrations

    async def test_migrations__upgrade_from_empty_matches_metadata(self, db: AsyncEngine) -> None:
        """An empty database upgrades to head, and the tables equal the toolkit metadata."""
        assert await database_revision(db) is None
        await upgrade_database(db)
        await upgrade_database(db)  # idempotent
        assert await database_revision(db) == "0001"
        async with db.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}),
                    toolkit_metadata,
                )
            )
        assert [
            d for d in diff if not (d[0] == "remove_table" and d[1].name == VERSION_TABLE)
        ] == []

    async def test_migrations__downgrade_upgrade_round_trip(self, db: AsyncEngine) -> None:
        """Downgrading to base drops every toolkit table; upgrading again recreates them."""
        await upgrade_database(db)
        await downgrade_database(db, "base")
        assert await database_revision(db) is None
        async with db.connect() as connection:
            names = await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())
        assert not [n for n in names if n.startswith("walnats_") and n != VERSION_TABLE]
        await upgrade_database(db)
        assert await database_revision(db) == "0001"

    async def test_runner__refuses_an_unmigrated_database(self, db: AsyncEngine, nc: Any) -> None:
        """Starting on a database without the toolkit tables says to run `walnats db upgrade`."""
        runner = ProjectionRunner(balance_projection(deposit_event()), nc, db)
        with pytest.raises(DatabaseNotMigrated, match="walnats db upgrade"):
            await runner.start()

    # ------------------------------------------------------------------ applying

    async def test_projection__applies_every_event_once_with_checkpoint(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """The read model equals the fold of the events; the checkpoint is the last sequence."""
        event = deposit_event()
        deposits = make_deposits(1200)
        emitted = await emit_deposits(nc, event, deposits)
        projection = balance_projection(event)
        async with ProjectionRunner(projection, nc, migrated) as runner:
            await runner.catch_up()
        assert await read_balances(migrated) == fold(deposits).as_rows()
        assert await checkpoint_of(migrated, projection) == {(0, event.name): emitted[-1].sequence}

    async def test_projection__restart_resumes_after_checkpoint(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """A stopped and restarted runner applies only the events after its checkpoint."""
        event = deposit_event()
        first, second = make_deposits(300), make_deposits(200, start=300)
        projection = balance_projection(event)
        await emit_deposits(nc, event, first)
        async with ProjectionRunner(projection, nc, migrated) as runner:
            await runner.catch_up()
        await emit_deposits(nc, event, second)
        async with ProjectionRunner(projection, nc, migrated) as runner:
            await runner.catch_up()
        assert await read_balances(migrated) == fold(first + second).as_rows()

    async def test_projection__commit_failure_retries_the_whole_batch(
        self, migrated: AsyncEngine, nc: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Commits failing like an outage leave no partial batch; the runner resumes."""
        event = deposit_event()
        deposits = make_deposits(800)
        async with ProjectionRunner(balance_projection(event), nc, migrated) as runner:
            await emit_deposits(nc, event, deposits[:1])
            await runner.catch_up()
            left = fail_commits(migrated, 4)
            await emit_deposits(nc, event, deposits[1:])
            await runner.catch_up(timeout=30)
        assert left == [0]
        assert "retrying the batch" in caplog.text
        assert await read_balances(migrated) == fold(deposits).as_rows()

    async def test_projection__lost_commit_answer_is_not_applied_twice(
        self, migrated: AsyncEngine, nc: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A commit that succeeded but reported failure is detected, not applied again."""
        caplog.set_level(logging.INFO, "walnats.projections")
        event = deposit_event()
        deposits = make_deposits(600)
        await emit_deposits(nc, event, deposits)
        projection = balance_projection(event)
        async with ProjectionRunner(projection, nc, migrated) as runner:
            await runner.catch_up()
            more = make_deposits(400, start=600)
            left = fail_commits(migrated, 2, after_commit=True)
            await emit_deposits(nc, event, more)
            await runner.catch_up(timeout=30)
        assert left == [0]
        assert "checkpoint moved" in caplog.text
        assert await read_balances(migrated) == fold(deposits + more).as_rows()

    async def test_projection__retries_a_failing_event_alone(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """An event failing once is retried alone; the rest of its batch commits once."""
        event = deposit_event()
        deposits = make_deposits(300)
        failed: list[int] = []
        inner = balance_projection(event).handlers[0].fn

        async def flaky(payload: Deposited, meta: EventMeta, session: Any) -> None:
            if payload.amount == 150 and not failed:
                failed.append(meta.sequence)
                raise RuntimeError("flaky")
            await inner(payload, meta, session)

        projection = Projection(
            "balances", handlers=[handle(event, flaky)], tables=[balances], retry=FAST_RETRY
        )
        await emit_deposits(nc, event, deposits)
        async with ProjectionRunner(projection, nc, migrated) as runner:
            await runner.catch_up()
        assert failed
        assert await read_balances(migrated) == fold(deposits).as_rows()

    async def test_projection__poison_skip_goes_to_dead_letters(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """With on_poison='skip', a poison event is dead-lettered and the rest applied."""
        event = deposit_event()
        deposits = make_deposits(100)
        emitted = await emit_deposits(nc, event, deposits)
        inner = balance_projection(event).handlers[0].fn

        async def broken(payload: Deposited, meta: EventMeta, session: Any) -> None:
            if payload.amount == 42:
                raise ValueError("cannot apply 42")
            await inner(payload, meta, session)

        name = unique_name("skipper")
        projection = Projection(
            name, handlers=[handle(event, broken)], tables=[balances], retry=FAST_RETRY,
            on_poison="skip",
        )  # fmt: skip
        async with ProjectionRunner(projection, nc, migrated) as runner:
            await runner.catch_up()
        expected = fold([d for d in deposits if d.amount != 42]).as_rows()
        assert await read_balances(migrated) == expected
        letters = await walnats.DeadLetters(nc).list(name)
        assert [(d.stream_sequence, d.reason) for d in letters] == [
            (emitted[41].sequence, "exhausted")
        ]
        assert letters[0].error == "cannot apply 42"
        assert await checkpoint_of(migrated, projection) == {(0, event.name): emitted[-1].sequence}
        fixed = balance_projection(event, name)
        async with ProjectionRunner(fixed, nc, migrated) as runner:
            redriven = await walnats.DeadLetters(nc).retry(letters[0].sequence)  # only for us
            assert await runner.wait_for(redriven.stream, redriven.sequence, timeout=10)
        assert await read_balances(migrated) == fold(deposits).as_rows()

    async def test_projection__poison_stop_keeps_checkpoint_before_it(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """With on_poison='stop', the runner stops before the event; a fixed one applies it."""
        event = deposit_event()
        deposits = make_deposits(60)
        emitted = await emit_deposits(nc, event, deposits)
        inner = balance_projection(event).handlers[0].fn

        async def broken(payload: Deposited, meta: EventMeta, session: Any) -> None:
            if payload.amount == 30:
                raise ValueError("bad data")
            await inner(payload, meta, session)

        projection = Projection(
            "balances", handlers=[handle(event, broken)], tables=[balances], retry=FAST_RETRY
        )
        runner = ProjectionRunner(projection, nc, migrated)
        with pytest.raises(ProjectionStopped, match="bad data") as stopped:
            await asyncio.wait_for(runner.run(), 10)
        assert stopped.value.sequence == emitted[29].sequence
        assert await checkpoint_of(migrated, projection) == {(0, event.name): emitted[28].sequence}
        status = await projection_status(projection, nc, migrated)
        assert (status.status, status.error) == ("stopped", "ValueError: bad data")
        fixed = balance_projection(event)
        async with ProjectionRunner(fixed, nc, migrated) as runner:
            await runner.catch_up()
        assert await read_balances(migrated) == fold(deposits).as_rows()
        assert (await projection_status(fixed, nc, migrated)).status == "live"

    async def test_projection__undecodable_event_is_dead_lettered(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """A payload that does not decode is poison at once (no retries), never a stall."""
        event = deposit_event()
        deposits = make_deposits(10)
        await emit_deposits(nc, event, deposits[:5])
        bad = await nc.jetstream().publish(event.name, b'{"account": 1}')
        await emit_deposits(nc, event, deposits[5:])
        name = unique_name("skipper")
        projection = balance_projection(event, name, on_poison="skip")
        async with ProjectionRunner(projection, nc, migrated) as runner:
            await runner.catch_up()
        assert await read_balances(migrated) == fold(deposits).as_rows()
        letters = await walnats.DeadLetters(nc).list(name)
        assert [(d.stream_sequence, d.reason, d.attempts) for d in letters] == [
            (bad.seq, "undecodable", 1)
        ]

    async def test_projection__wait_for_reads_your_writes(
        self, migrated: AsyncEngine, nc: Any
    ) -> None:
        """wait_for returns once the sequence is applied, False on timeout when stopped."""
        event = deposit_event()
        other = deposit_event()
        projection = balance_projection(event)
        await emit_deposits(nc, other, make_deposits(1))
        runner = ProjectionRunner(projection, nc, migrated)
        assert isinstance(runner, projections.SupportsWaitFor)
        await emit_deposits(nc, event, make_deposits(1))
        assert not await runner_wait(runner, event.name, 1, timeout=0.05, started=False)
        async with runner:
            [done] = await emit_deposits(nc, event, [Deposited("x", 5)])
            assert await runner.wait_for(done.stream, done.sequence, timeout=5)
            assert (await read_balances(migrated))["x"] == (5, 1, 0)
            assert await runner.wait_for(other.name, 10**9, timeout=0.1)  # not its stream
            lag = await projection_lag(projection, nc, migrated)
            assert [(x.stream, x.behind) for x in lag] == [(event.name, 0)]
            assert await runner.lag() == lag
            [pending] = await emit_deposits(nc, event, [Deposited("y", 1)])
            await projections.wait_for_projection(runner, (pending.stream, pending.sequence))


async def runner_wait(
    runner: ProjectionRunner, stream: str, sequence: int, *, timeout: float, started: bool
) -> bool:
    """wait_for on a runner that may not run: it reads the checkpoints from the database."""
    if started:
        return await runner.wait_for(stream, sequence, timeout=timeout)
    await runner.start()
    try:
        for task in runner._tasks:
            task.cancel()
        return await runner.wait_for(stream, sequence, timeout=timeout)
    finally:
        await runner.stop()


def utc(ts_ns: int) -> datetime:
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC)
