"""A command's events are stored all or none (atomic batch publish, nats-server >= 2.12)."""

from __future__ import annotations

import dataclasses

import pytest
from es_helpers import Deposited, Opened, account_kit, open_store, stream_messages, subject_count

import projections
import walnats


async def test_atomic__events_of_a_command_are_consecutive(nats_url: str) -> None:
    """A 3-event save gets versions n+1..n+3 and one receipt for the last sequence."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        await store.execute("b-1", lambda s: [projections.new(kit.opened, Opened("x"))])
        base = await store.load("a-1")
        events = [projections.new(kit.deposited, Deposited(n)) for n in (1, 2, 3)]
        saved = await store.save("a-1", events, base)
        js = store.client.jetstream()
        stored = [await js.get_msg(kit.name, seq) for seq in range(2, 5)]
    assert (saved.version, saved.count, saved.sequence) == (3, 3, 4)
    assert [m.headers["Walnats-Version"] for m in stored if m.headers] == ["1", "2", "3"]


async def test_atomic__stale_batch_stores_nothing(nats_url: str) -> None:
    """A batch whose expectation fails leaves the stream exactly as it was."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        stale = await store.load("a-1")
        await store.save("a-1", [projections.new(kit.opened, Opened("x"))], stale)
        before = await stream_messages(store)
        events = [projections.new(kit.deposited, Deposited(n)) for n in range(10)]
        with pytest.raises(walnats.ConcurrencyError):
            await store.save("a-1", events, stale)
        assert await stream_messages(store) == before
        assert await subject_count(store, "a-1") == 1


async def test_atomic__encode_error_mid_command_sends_nothing(nats_url: str) -> None:
    """A payload that does not match its event fails before the first message is sent."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        wrong = projections.NewEvent(kit.deposited, Opened("not a deposit"))
        events = [projections.new(kit.deposited, Deposited(1)), wrong]
        with pytest.raises(walnats.EncodeError, match="expected Deposited, got Opened"):
            await store.save("a-1", events, 0)
        assert await stream_messages(store) == 0


async def test_atomic__server_rejecting_one_message_stores_none(nats_url: str) -> None:
    """When the server refuses the 2nd of 3 messages (too large), the 1st is not kept either."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        js = store.client.jetstream()
        info = await js.stream_info(kit.name)
        await js.update_stream(dataclasses.replace(info.config, max_msg_size=400))
        events = [
            projections.new(kit.deposited, Deposited(1)),
            projections.new(kit.opened, Opened("x" * 1000)),
            projections.new(kit.deposited, Deposited(2)),
        ]
        with pytest.raises(walnats.EmitError, match="none of the command's events were stored"):
            await store.save("a-1", events, 0)
        assert await stream_messages(store) == 0
        single = [projections.new(kit.opened, Opened("x" * 1000))]
        with pytest.raises(walnats.EmitError, match="the event was not stored"):
            await store.save("a-1", single, 0)
        saved = await store.save("a-1", [events[0], events[2]], 0)
        assert saved.version == 2


async def test_atomic__limits_are_checked_before_sending(nats_url: str) -> None:
    """Over 1,000 events, or a payload beyond max_payload, fails without sending anything."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        many = [projections.new(kit.deposited, Deposited(1))] * 1001
        with pytest.raises(walnats.ConfigError, match="at most 1000 events"):
            await store.save("a-1", many, 0)
        huge = projections.new(kit.opened, Opened("x" * (store.client.max_payload + 1)))
        with pytest.raises(walnats.EncodeError, match="more than the server's max_payload"):
            await store.save("a-1", [projections.new(kit.deposited, Deposited(1)), huge], 0)
        assert await stream_messages(store) == 0
        full = await store.save("a-1", many[:1000], 0)
        assert full.version == 1000
