"""Many writers on one aggregate: exactly one wins each race; retrying loses no update."""

from __future__ import annotations

import asyncio

import pytest
from es_helpers import Deposited, account_kit, deposit, open_store, subject_count

import projections
import walnats

WRITERS = 20


async def test_concurrency__one_winner_per_race(nats_url: str) -> None:
    """20 writers that loaded the same version: one succeeds, 19 get ConcurrencyError."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        await store.execute("a-1", deposit(kit))
        loaded = [await store.load("a-1") for _ in range(WRITERS)]
        event = [projections.new(kit.deposited, Deposited(1))]
        results = await asyncio.gather(
            *(store.save("a-1", event, base) for base in loaded), return_exceptions=True
        )
        won = [r for r in results if isinstance(r, projections.Saved)]
        lost = [r for r in results if isinstance(r, walnats.ConcurrencyError)]
        assert len(won) == 1, results
        assert len(lost) == WRITERS - 1, results
        assert all((e.expected, e.actual) == (1, 2) for e in lost)
        assert await subject_count(store, "a-1") == 2


async def test_concurrency__batches_race_atomically(nats_url: str) -> None:
    """Racing 3-event commands: one batch is stored whole, the others not at all."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        base = await store.load("a-1")
        events = [projections.new(kit.deposited, Deposited(1))] * 3
        results = await asyncio.gather(
            *(store.save("a-1", events, base) for _ in range(WRITERS)), return_exceptions=True
        )
        assert sum(isinstance(r, projections.Saved) for r in results) == 1
        assert sum(isinstance(r, walnats.ConcurrencyError) for r in results) == WRITERS - 1
        assert await subject_count(store, "a-1") == 3


async def test_concurrency__retry_applies_every_command(nats_url: str) -> None:
    """With retry_on_conflict all 20 commands land: final version 20, no lost update."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        done = await asyncio.gather(
            *(
                projections.retry_on_conflict(store, "a-1", deposit(kit, amount=n))
                for n in range(1, WRITERS + 1)
            )
        )
        loaded = await store.load("a-1")
    assert loaded.version == WRITERS
    assert loaded.state.deposits == WRITERS
    assert loaded.state.balance == sum(range(1, WRITERS + 1))
    assert sorted(d.version for d in done) == list(range(1, WRITERS + 1))
    assert sum(d.attempts for d in done) > WRITERS  # they did collide


async def test_concurrency__retry_with_multi_event_commands(nats_url: str) -> None:
    """Retried 2-event commands interleave only as whole commands."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        await asyncio.gather(
            *(
                projections.retry_on_conflict(store, "a-1", deposit(kit, times=2))
                for _ in range(WRITERS)
            )
        )
        loaded = await store.load("a-1")
        js = store.client.jetstream()
        ids = []
        for seq in range(1, loaded.sequence + 1):
            msg = await js.get_msg(kit.name, seq)
            assert msg.headers is not None
            ids.append(msg.headers["Nats-Msg-Id"])
    assert loaded.version == 2 * WRITERS
    commands = [i.rsplit(".", 1)[0] for i in ids]
    assert all(commands[n] == commands[n + 1] for n in range(0, len(commands), 2))
    assert [i.rsplit(".", 1)[1] for i in ids] == ["1", "2"] * WRITERS


async def test_concurrency__retry_gives_up_after_attempts(nats_url: str) -> None:
    """A command that keeps losing raises the last ConcurrencyError after *attempts* runs."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        calls = 0

        async def always_conflicting(*args: object, **kwargs: object) -> object:
            nonlocal calls
            calls += 1
            raise walnats.ConcurrencyError(f"lost {calls}", expected=0, actual=1)

        store.execute = always_conflicting  # type: ignore[method-assign, assignment]
        with pytest.raises(walnats.ConcurrencyError, match=r"^lost 3$"):
            await projections.retry_on_conflict(store, "a-1", deposit(kit), attempts=3)
        assert calls == 3
        with pytest.raises(walnats.ConfigError, match="attempts must be an int >= 1"):
            await projections.retry_on_conflict(store, "a-1", deposit(kit), attempts=0)
