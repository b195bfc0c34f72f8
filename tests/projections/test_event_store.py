"""Loading and saving one aggregate: versions, headers, optimistic concurrency, idempotency."""

from __future__ import annotations

import msgspec
import pytest
from es_helpers import Account, Deposited, Opened, account_kit, deposit, open_store, subject_count

import projections
import walnats


async def test_store__new_aggregate_loads_initial_state(nats_url: str) -> None:
    """An aggregate without events is the initial state at version 0, sequence 0."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        loaded = await store.load("a-1")
    assert loaded.state == Account()
    assert (loaded.version, loaded.sequence, loaded.replayed) == (0, 0, 0)
    assert loaded.snapshot_version is None


async def test_store__execute_appends_and_load_folds(nats_url: str) -> None:
    """Executed commands are stored under <type>.<id>.<event> and fold back into the state."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        first = await store.execute("a-1", lambda s: [projections.new(kit.opened, Opened("ann"))])
        second = await store.execute("a-1", deposit(kit, 5, times=2))
        loaded = await store.load("a-1")
        js = store.client.jetstream()
        msg = await js.get_msg(kit.name, second.sequence)
    assert first.state == Account(owner="ann")
    assert (second.version, second.state.balance) == (3, 10)
    assert second.saved is not None
    assert second.saved.count == 2
    assert loaded.state == Account(owner="ann", balance=10, deposits=2)
    assert (loaded.version, loaded.sequence, loaded.replayed) == (3, second.sequence, 3)
    assert msg.subject == f"{kit.name}.a-1.deposited"
    assert msg.headers is not None
    assert msg.headers["Walnats-Version"] == "3"
    assert msg.headers["Walnats-Schema-Version"] == "1"
    assert msg.headers["Nats-Msg-Id"].endswith(".2")
    assert msgspec.json.decode(msg.data or b"", type=Deposited) == Deposited(5)


async def test_store__command_deciding_nothing_saves_nothing(nats_url: str) -> None:
    """A command returning [] stores nothing and reports no receipt."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        done = await store.execute("a-1", lambda s: [])
        assert done.saved is None
        assert (done.version, done.events) == (0, ())
        assert await subject_count(store, "a-1") == 0


async def test_store__stale_loaded_raises_concurrency_error(nats_url: str) -> None:
    """Saving against a Loaded that another writer overtook names both versions."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        stale = await store.load("a-1")
        await store.execute("a-1", deposit(kit))
        await store.execute("a-1", deposit(kit))
        with pytest.raises(walnats.ConcurrencyError, match=r"expected version 0, found 2") as info:
            await store.save("a-1", [projections.new(kit.deposited, Deposited(1))], stale)
        assert (info.value.expected, info.value.actual) == (0, 2)
        assert await subject_count(store, "a-1") == 2


async def test_store__int_expected_version(nats_url: str) -> None:
    """save() takes a plain version too: 0 for new, n for an aggregate with n events."""
    kit = account_kit()
    event = projections.new(kit.deposited, Deposited(1))
    async with open_store(nats_url, kit) as store:
        assert (await store.save("a-1", [event], 0)).version == 1
        assert (await store.save("a-1", [event], 1)).version == 2
        with pytest.raises(walnats.ConcurrencyError) as info:
            await store.save("a-1", [event], 1)
        assert (info.value.expected, info.value.actual) == (1, 2)
        with pytest.raises(walnats.ConcurrencyError) as info:
            await store.save("a-1", [event], 0)
        assert (info.value.expected, info.value.actual) == (0, 2)
        with pytest.raises(walnats.ConfigError, match="expected_version must be an int >= 0"):
            await store.save("a-1", [event], -1)


async def test_store__other_aggregates_do_not_conflict(nats_url: str) -> None:
    """The expectation is per aggregate (<type>.<id>.*), not per stream."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        loaded = await store.load("a-1")
        for other in ("b-1", "b-2", "a-10"):
            await store.execute(other, deposit(kit))
        saved = await store.save("a-1", [projections.new(kit.deposited, Deposited(1))], loaded)
    assert saved.version == 1


async def test_store__retried_save_with_command_id_is_duplicate(nats_url: str) -> None:
    """The same save repeated with its command id stores nothing the second time."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        loaded = await store.load("a-1")
        events = [projections.new(kit.deposited, Deposited(n)) for n in (1, 2)]
        first = await store.save("a-1", events, loaded, command_id="cmd-1")
        again = await store.save("a-1", events, loaded, command_id="cmd-1")
        by_version = await store.save("a-1", events, 0, command_id="cmd-1")
        assert not first.duplicate
        assert again.duplicate
        assert by_version.duplicate
        assert (again.version, again.sequence, again.count) == (2, first.sequence, 0)
        assert await subject_count(store, "a-1") == 2


async def test_store__duplicate_inside_window_on_fresher_state(nats_url: str) -> None:
    """A retry against a newer version is dropped by the stream's duplicate window."""
    kit = account_kit()
    one = [projections.new(kit.deposited, Deposited(1))]
    two = one * 2
    async with open_store(nats_url, kit) as store:
        await store.save("a-1", one, 0, command_id="single")
        await store.save("a-1", two, 1, command_id="batch")
        await store.execute("a-1", deposit(kit))  # someone else moves the aggregate
        assert (await store.save("a-1", one, 4, command_id="single")).duplicate
        assert (await store.save("a-1", two, 4, command_id="batch")).duplicate
        assert await subject_count(store, "a-1") == 4


async def test_store__execute_with_command_id_runs_once(nats_url: str) -> None:
    """A re-executed command id is not run again and reports a duplicate."""
    kit = account_kit()
    runs = []

    def command(state: Account) -> list[projections.NewEvent]:
        runs.append(state)
        return [projections.new(kit.deposited, Deposited(7))]

    async with open_store(nats_url, kit) as store:
        first = await store.execute("a-1", command, command_id="pay-7")
        again = await store.execute("a-1", command, command_id="pay-7")
    assert len(runs) == 1
    assert again.duplicate
    assert not first.duplicate
    assert again.state == first.state == Account(balance=7, deposits=1)


async def test_store__rejects_bad_input_before_sending(nats_url: str) -> None:
    """Ids, command ids, foreign and missing events fail with a clear error."""
    kit = account_kit()
    other = account_kit()
    event = projections.new(kit.deposited, Deposited(1))
    async with open_store(nats_url, kit) as store:
        with pytest.raises(walnats.ConfigError, match=r"invalid id 'a\.b'"):
            await store.load("a.b")
        with pytest.raises(walnats.ConfigError, match="invalid id ''"):
            await store.save("", [event], 0)
        with pytest.raises(walnats.ConfigError, match="command_id must be"):
            await store.save("a-1", [event], 0, command_id="has space")
        with pytest.raises(walnats.ConfigError, match="needs at least one event"):
            await store.save("a-1", [], 0)
        foreign = projections.new(other.deposited, Deposited(1))
        with pytest.raises(walnats.ConfigError, match="is not an event of aggregate"):
            await store.save("a-1", [foreign], 0)
        assert await subject_count(store, "a-1") == 0


async def test_store__unregistered_aggregate(nats_url: str) -> None:
    """Without register() the stream is missing and the error says what to do."""
    kit = account_kit()
    async with kit.aggregate.connect(nats_url, register=False) as store:
        with pytest.raises(walnats.StreamNotFound, match="register"):
            await store.load("a-1")
        with pytest.raises(walnats.StreamNotFound, match="register"):
            await store.save("a-1", [projections.new(kit.deposited, Deposited(1))], 0)


async def test_store__events_written_without_the_store_still_load(nats_url: str) -> None:
    """Events another client published without version headers count by position."""
    kit = account_kit()
    subject = kit.deposited.subject_for("a-1")
    async with open_store(nats_url, kit) as store:
        js = store.client.jetstream()
        await js.publish(subject, kit.deposited.encode(Deposited(3)))
        await store.execute("a-1", deposit(kit, 4))
        loaded = await store.load("a-1")
        await js.publish(subject, kit.deposited.encode(Deposited(1)))
        with pytest.raises(walnats.ConcurrencyError) as info:
            await store.save("a-1", [projections.new(kit.deposited, Deposited(1))], 2)
        assert (info.value.expected, info.value.actual) == (2, 3)
        saved = await store.save("a-1", [projections.new(kit.deposited, Deposited(1))], 3)
    assert (loaded.version, loaded.state.balance) == (2, 7)
    assert saved.version == 4


async def test_store__version_gap_is_refused(nats_url: str) -> None:
    """An event whose version header disagrees with its position fails loudly."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        await store.client.jetstream().publish(
            f"{kit.name}.a-1.deposited", b'{"amount": 1}', headers={"Walnats-Version": "2"}
        )
        with pytest.raises(projections.ReplayError, match="says it is version 2"):
            await store.load("a-1")


async def test_emit__refuses_aggregate_events(nats_url: str) -> None:
    """emit() would bypass versions and concurrency: it points at the event store."""
    kit = account_kit()
    async with (
        open_store(nats_url, kit) as store,
        walnats.Events(kit.deposited).connect(store.client, close=False) as conn,
    ):
        with pytest.raises(
            walnats.ConfigError, match=r"append it with the aggregate's event store"
        ):
            await conn.emit(kit.deposited, Deposited(3))  # type: ignore[arg-type]
