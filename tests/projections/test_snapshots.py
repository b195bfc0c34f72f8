"""Snapshots: taken every N events and by the periodic job; loads replay only later events."""

from __future__ import annotations

import time

import msgspec
from es_helpers import Account, Deposited, account_kit, deposit, open_store

import projections


async def write_raw(store: projections.EventStore[Account], aggregate_id: str, count: int) -> None:
    """Append *count* deposits with plain pipelined publishes (fast test setup)."""
    js = store.client.jetstream()
    start = (await store.load(aggregate_id)).version
    subject = store.aggregate.subject(aggregate_id, "deposited")
    data = msgspec.json.encode(Deposited(1))
    for n in range(start + 1, start + count + 1):
        await js.publish_async(subject, data, headers={"Walnats-Version": str(n)})
    await js.publish_async_completed()


async def test_snapshots__10k_events_load_reads_at_most_100(nats_url: str) -> None:
    """10,000 events with snapshot_every=100: a load reads <= 100 events; state == fold."""
    kit = account_kit(snapshot_every=100)
    async with open_store(nats_url, kit) as store:
        written: list[projections.NewEvent] = []
        sizes = [37] * 270 + [10]  # 10,000 events in commands that straddle multiples of 100
        for size in sizes:
            events = [
                projections.new(kit.deposited, Deposited(len(written) + n)) for n in range(size)
            ]
            loaded = await store.load("big")
            assert loaded.replayed <= 100
            saved = await store.save("big", events, loaded)
            written.extend(events)
            assert saved.snapshot == ((saved.version - size) // 100 != saved.version // 100)
        for extra in range(3):  # and a few more after the last snapshot
            await store.execute("big", deposit(kit, extra))
            written.extend(deposit(kit, extra)(Account()))
        started = time.perf_counter()
        loaded = await store.load("big")
        with_snapshot = time.perf_counter() - started
        bucket = await store.client.jetstream().key_value(kit.aggregate.bucket)
        await bucket.purge("big")
        started = time.perf_counter()
        full = await store.load("big")
        without = time.perf_counter() - started
    assert loaded.version == full.version == 10_003
    assert loaded.snapshot_version == 10_000
    assert loaded.replayed == 3 <= 100
    assert full.replayed == 10_003
    assert loaded.state == full.state == kit.aggregate.fold(written)
    timing = f"{without * 1e3:.1f} ms, with snapshot {with_snapshot * 1e3:.2f} ms"
    print(f"\nload of 10,003 events: {timing}")


async def test_snapshots__job_snapshots_what_moved(nats_url: str) -> None:
    """snapshot_moved snapshots aggregates ahead of their snapshot by min_events, once."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        await write_raw(store, "big", 10_000)
        await write_raw(store, "small", 3)
        first = await projections.snapshot_moved(store, min_events=5)
        assert first == projections.SnapshotReport(checked=2, moved=1, taken=1)
        assert await projections.snapshot_moved(store, min_events=5) == projections.SnapshotReport(
            checked=2, moved=0, taken=0
        )
        await write_raw(store, "big", 50)
        loaded = await store.load("big")
        assert (loaded.version, loaded.snapshot_version, loaded.replayed) == (10_050, 10_000, 50)
        assert loaded.state.balance == 10_050
        report = await projections.snapshot_moved(store, ids=["big"])
        assert report == projections.SnapshotReport(checked=1, moved=1, taken=1)
        assert (await store.load("big")).replayed == 0
        assert (await store.load("small")).snapshot_version is None


async def test_snapshots__stored_format_is_readable(nats_url: str) -> None:
    """The KV value is JSON with version, sequence, schema, last event id and the state."""
    kit = account_kit(snapshot_every=2)
    async with open_store(nats_url, kit) as store:
        done = await store.execute("a-1", deposit(kit, 5, times=2), command_id="c1")
        assert done.saved is not None
        assert done.saved.snapshot
        bucket = await store.client.jetstream().key_value(kit.aggregate.bucket)
        entry = await bucket.get("a-1")
    assert entry.value is not None
    document = msgspec.json.decode(entry.value)
    assert document["aggregate"] == kit.name
    assert (document["id"], document["version"], document["sequence"]) == ("a-1", 2, done.sequence)
    assert (document["schema"], document["last_event_id"]) == (1, "c1.2")
    assert document["state"] == {"owner": "", "balance": 10, "deposits": 2}


async def test_snapshots__a_newer_snapshot_is_never_replaced(nats_url: str) -> None:
    """A writer holding an old revision does not overwrite a newer snapshot."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        await store.execute("a-1", deposit(kit))
        assert await store.snapshot("a-1")
        assert not await store.snapshot("a-1")  # nothing moved
        stale = await store.load("a-1")
        await store.execute("a-1", deposit(kit))
        assert await store.snapshot("a-1")
        bucket = await store._snapshots()
        data = bucket.encode("a-1", stale.version, stale.sequence, stale.state, None)
        assert not await bucket.put("a-1", data, stale.snapshot_revision)
        assert (await store.load("a-1")).snapshot_version == 2


async def test_snapshots__failing_snapshot_does_not_fail_the_save(nats_url: str) -> None:
    """Events are the record: a missing bucket only means no snapshot."""
    kit = account_kit(snapshot_every=1)
    async with open_store(nats_url, kit) as store:
        await store.client.jetstream().delete_key_value(kit.aggregate.bucket)
        done = await store.execute("a-1", deposit(kit))
        assert done.saved is not None
        assert (done.version, done.saved.snapshot) == (1, False)
