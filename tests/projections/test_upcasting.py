"""Upcasting: old events and snapshots load as today's types, or fail loudly."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
import pytest
from es_helpers import Account, Deposited, Opened, account_kit, deposit, open_store

import projections
import walnats
from projections import RawEvent, SnapshotUpcaster, Upcaster, Upcasters
from walnats.testing import unique_name


class DepositedV3(msgspec.Struct, frozen=True):
    cents: int
    currency: str


def add_currency(data: Any) -> Any:  # v1 {"amount"} -> v2 {"amount", "currency"}
    return {**data, "currency": "EUR"}


def to_cents(data: Any) -> Any:  # v2 -> v3 {"cents", "currency"}
    return {"cents": data["amount"] * 100, "currency": data["currency"]}


def split_bulk(data: Any) -> list[RawEvent]:
    return [RawEvent("deposited", 1, {"amount": amount}) for amount in data["amounts"]]


# -- the pipeline alone -----------------------------------------------------------------


def test_upcasters__chain_rename_split_and_drop() -> None:
    """Steps chain until none matches; renames continue the new name's chain."""
    upcasters = Upcasters(
        Upcaster("deposited", 1, add_currency),
        Upcaster("deposited", 2, to_cents),
        Upcaster("paid-in", 1, lambda d: d, rename="deposited", to_version=1),
        Upcaster("bulk-deposited", 1, split_bulk, many=True),
        Upcaster("audited", 1, lambda d: [], many=True),
    )
    assert upcasters.upcast(RawEvent("deposited", 1, {"amount": 2})) == [
        RawEvent("deposited", 3, {"cents": 200, "currency": "EUR"})
    ]
    assert upcasters.upcast(RawEvent("paid-in", 1, {"amount": 1})) == [
        RawEvent("deposited", 3, {"cents": 100, "currency": "EUR"})
    ]
    assert upcasters.upcast(RawEvent("bulk-deposited", 1, {"amounts": [1, 2]})) == [
        RawEvent("deposited", 3, {"cents": 100, "currency": "EUR"}),
        RawEvent("deposited", 3, {"cents": 200, "currency": "EUR"}),
    ]
    assert upcasters.upcast(RawEvent("audited", 1, {})) == []
    current = RawEvent("deposited", 3, {"cents": 1, "currency": "EUR"})
    assert upcasters.upcast(current) == [current]


def test_upcasters__misdeclarations_fail_early() -> None:
    """Duplicate steps, no-op steps, cycles and bad one-to-many outputs are refused."""
    with pytest.raises(walnats.ConfigError, match="two upcasters read 'a' v1"):
        Upcasters(Upcaster("a", 1, add_currency), Upcaster("a", 1, to_cents))
    with pytest.raises(walnats.ConfigError, match="output must differ from the input"):
        Upcaster("a", 1, add_currency, to_version=1)
    with pytest.raises(walnats.ConfigError, match="drop rename= and to_version="):
        Upcaster("a", 1, split_bulk, many=True, rename="b")
    with pytest.raises(walnats.ConfigError, match="version must be an int >= 1"):
        Upcaster("a", 0, add_currency)
    cycle = Upcasters(
        Upcaster("a", 1, lambda d: d, rename="b", to_version=1),
        Upcaster("b", 1, lambda d: d, rename="a", to_version=1),
    )
    with pytest.raises(projections.ReplayError, match="form a cycle"):
        cycle.upcast(RawEvent("a", 1, {}))
    bad = Upcasters(Upcaster("a", 1, lambda d: [d], many=True))
    with pytest.raises(projections.ReplayError, match=r"must return projections\.RawEvent items"):
        bad.upcast(RawEvent("a", 1, {}))


def test_upcasters__aggregate_checks_versions() -> None:
    """An upcaster reading the version the aggregate writes would corrupt new events."""
    name = unique_name("acct")
    event = walnats.Event("deposited", Deposited, aggregate=name)
    with pytest.raises(walnats.ConfigError, match="must be stored as v2 or later"):
        projections.Aggregate(
            name,
            state=Account,
            initial=Account(),
            apply=[projections.on(event, lambda s, e: s)],
            upcasters=[Upcaster("deposited", 1, add_currency)],
        )
    with pytest.raises(walnats.ConfigError, match="produces 'deposited' v3"):
        projections.Aggregate(
            name,
            state=Account,
            initial=Account(),
            apply=[projections.on(event, lambda s, e: s, version=2)],
            upcasters=[Upcaster("deposited", 1, add_currency, to_version=3)],
        )


# -- on load ----------------------------------------------------------------------------


def v3_kit(**options: Any) -> tuple[projections.Aggregate[Account], walnats.Event[DepositedV3]]:
    """The account aggregate after two schema changes of 'deposited' and a rename."""
    name = unique_name("acct")
    opened = walnats.Event("opened", Opened, aggregate=name)
    deposited = walnats.Event("deposited", DepositedV3, aggregate=name)

    def apply_deposit(state: Account, event: DepositedV3) -> Account:
        return msgspec.structs.replace(
            state, balance=state.balance + event.cents, deposits=state.deposits + 1
        )

    aggregate = projections.Aggregate(
        name,
        state=Account,
        initial=Account(),
        apply=[
            projections.on(opened, lambda s, e: msgspec.structs.replace(s, owner=e.owner)),
            projections.on(deposited, apply_deposit, version=3),
        ],
        upcasters=[
            Upcaster("deposited", 1, add_currency),
            Upcaster("deposited", 2, to_cents),
            Upcaster("created", 1, lambda d: {"owner": d["name"]}, rename="opened"),
            Upcaster("bulk-deposited", 1, split_bulk, many=True),
        ],
        **options,
    )
    return aggregate, deposited


def test_upcasting__decode_message_for_dead_letters() -> None:
    """Tools holding one raw message get today's events through the same pipeline."""
    aggregate, deposited = v3_kit()
    subject = aggregate.subject("a-1", "bulk-deposited")
    events = aggregate.decode_message(
        subject, b'{"amounts": [1, 2]}', {"Walnats-Schema-Version": "1"}
    )
    assert events == [
        projections.NewEvent(deposited, DepositedV3(100, "EUR")),
        projections.NewEvent(deposited, DepositedV3(200, "EUR")),
    ]
    old = aggregate.decode_message(aggregate.subject("a-1", "deposited"), b'{"amount": 3}')
    assert old == [projections.NewEvent(deposited, DepositedV3(300, "EUR"))]
    with pytest.raises(projections.ReplayError, match="no apply for event 'gone'"):
        aggregate.decode_message(aggregate.subject("a-1", "gone"), b"{}")


async def publish_old(
    store: projections.EventStore[Any], event: str, data: Any, schema: int | None
) -> None:
    headers = {"Walnats-Schema-Version": str(schema)} if schema is not None else {}
    subject = store.aggregate.subject("a-1", event)
    await store.client.jetstream().publish(subject, msgspec.json.encode(data), headers=headers)


async def test_upcasting__old_events_load_as_current_types(nats_url: str) -> None:
    """v1 (no header), v2, a renamed event and a one-to-many event all fold as v3."""
    aggregate, deposited = v3_kit()
    async with aggregate.connect(nats_url) as store:
        await publish_old(store, "created", {"name": "ann"}, None)
        await publish_old(store, "deposited", {"amount": 1}, None)
        await publish_old(store, "deposited", {"amount": 2, "currency": "EUR"}, 2)
        await publish_old(store, "bulk-deposited", {"amounts": [3, 4]}, 1)
        done = await store.execute(
            "a-1", lambda s: [projections.new(deposited, DepositedV3(5, "EUR"))]
        )
        loaded = await store.load("a-1")
        stored = await store.client.jetstream().get_msg(aggregate.name, done.sequence)
        await store.client.jetstream().delete_stream(aggregate.name)
    assert loaded.state == Account(owner="ann", balance=1005, deposits=5)
    assert loaded.version == 5  # stored messages, not upcast outputs
    assert stored.headers is not None
    assert stored.headers["Walnats-Schema-Version"] == "3"


async def test_upcasting__missing_step_fails_loudly(nats_url: str) -> None:
    """An event version no chain reaches, or an unknown event, is a ReplayError, never skipped."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        await publish_old(store, "deposited", {"amount": 1}, 2)
        with pytest.raises(
            projections.ReplayError, match="stored as v2 but the aggregate applies v1"
        ):
            await store.load("a-1")
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        await publish_old(store, "withdrawn", {"amount": 1}, None)
        with pytest.raises(projections.ReplayError, match="no apply for event 'withdrawn' v1"):
            await store.load("a-1")
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        await publish_old(store, "deposited", {"amount": "lots"}, None)
        with pytest.raises(projections.ReplayError, match=r"deposited \(stream sequence 1\)"):
            await store.load("a-1")


# -- snapshots --------------------------------------------------------------------------


class AccountV2(msgspec.Struct, frozen=True):
    owner: str = ""
    balance_cents: int = 0
    deposits: int = 0


def account_v2(name: str, **options: Any) -> projections.Aggregate[AccountV2]:
    """The same stream, with a state that changed shape (state_version=2)."""
    deposited = walnats.Event("deposited", Deposited, aggregate=name)
    opened = walnats.Event("opened", Opened, aggregate=name)

    def apply_deposit(state: AccountV2, event: Deposited) -> AccountV2:
        return msgspec.structs.replace(
            state,
            balance_cents=state.balance_cents + 100 * event.amount,
            deposits=state.deposits + 1,
        )

    return projections.Aggregate(
        name,
        state=AccountV2,
        initial=AccountV2(),
        apply=[
            projections.on(opened, lambda s, e: msgspec.structs.replace(s, owner=e.owner)),
            projections.on(deposited, apply_deposit),
        ],
        state_version=2,
        **options,
    )


def cents(document: Any) -> Any:
    return {
        "owner": document["owner"],
        "balance_cents": document["balance"] * 100,
        "deposits": document["deposits"],
    }


async def test_upcasting__outdated_snapshot_is_upcast(nats_url: str) -> None:
    """A v1 snapshot goes through the snapshot upcaster and is used."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        await store.execute("a-1", deposit(kit, 2, times=10))
        assert await store.snapshot("a-1")
        await store.execute("a-1", deposit(kit, 1))
        newer = account_v2(kit.name, snapshot_upcasters=[SnapshotUpcaster(1, cents)])
        async with newer.connect(store.client, close=False) as store_v2:
            loaded = await store_v2.load("a-1")
    assert (loaded.snapshot_version, loaded.replayed) == (10, 1)
    assert loaded.state == AccountV2(balance_cents=2100, deposits=11)


async def test_upcasting__outdated_snapshot_without_upcaster_is_rebuilt(
    nats_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Without a snapshot upcaster the v1 snapshot is discarded and the state rebuilt."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        await store.execute("a-1", deposit(kit, 2, times=10))
        assert await store.snapshot("a-1")
        newer = account_v2(kit.name)
        async with newer.connect(store.client, close=False) as store_v2:
            with caplog.at_level(logging.INFO, logger="walnats.projections"):
                loaded = await store_v2.load("a-1")
            assert (loaded.snapshot_version, loaded.replayed) == (None, 10)
            assert loaded.state == AccountV2(balance_cents=2000, deposits=10)
            assert "no snapshot upcaster chain to v2" in caplog.text
            assert await store_v2.snapshot("a-1")  # replaces the outdated one
            again = await store_v2.load("a-1")
        # older code meeting the newer snapshot discards it too (never decodes it wrong)
        old = await store.load("a-1")
    assert (again.snapshot_version, again.replayed) == (10, 0)
    assert (old.snapshot_version, old.state.balance) == (None, 20)


async def test_upcasting__undecodable_snapshot_is_rebuilt(nats_url: str) -> None:
    """A snapshot that does not decode (state changed, version not bumped) is ignored."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        await store.execute("a-1", deposit(kit, 2, times=3))
        bucket = await store.client.jetstream().key_value(kit.aggregate.bucket)
        await bucket.put("a-1", b"not json")
        assert (await store.load("a-1")).state.balance == 6
        document = {"aggregate": kit.name, "id": "a-1", "version": 3, "sequence": 3, "schema": 1}
        await bucket.put("a-1", msgspec.json.encode({**document, "state": {"balance": "x"}}))
        loaded = await store.load("a-1")
    assert (loaded.snapshot_version, loaded.replayed, loaded.state.balance) == (None, 3, 6)


async def test_upcasting__actors_see_old_events_as_current_types(nats_url: str) -> None:
    """An actor with the aggregate's decoder gets old events upcast; without, a dead letter."""
    aggregate, deposited = v3_kit()
    seen: list[DepositedV3] = []

    async def audit(event: DepositedV3) -> None:
        seen.append(event)

    upcasting = walnats.Actor(
        unique_name("audit"), deposited, audit, decoder=aggregate.decoder(deposited)
    )
    plain = walnats.Actor(unique_name("naive"), deposited, audit)
    async with aggregate.connect(nats_url) as store:
        await publish_old(store, "deposited", {"amount": 2}, None)
        await store.execute("a-1", lambda s: [projections.new(deposited, DepositedV3(5, "EUR"))])
        async with walnats.Actors(upcasting, plain).connect(nats_url) as conn:
            await conn.register()
            await conn.listen(burst=True)
            [letter] = await walnats.DeadLetters(conn.client).list(plain.name)
        await store.client.jetstream().delete_stream(aggregate.name)
    assert seen.count(DepositedV3(200, "EUR")) == 1  # the upcast v1 event, once
    assert seen.count(DepositedV3(5, "EUR")) == 2  # the current event, for both actors
    assert letter.reason == "undecodable"
