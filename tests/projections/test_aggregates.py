"""Aggregate declarations: validated when declared, visible to Services and tooling."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from es_helpers import Account, Deposited, Opened, account_kit, deposited, opened

import projections
import walnats
from walnats.testing import unique_name


def declare(name: str, *applies: projections.Applier[Account], **options: Any) -> None:
    options.setdefault("initial", Account())
    projections.Aggregate(name, state=Account, apply=applies, **options)


def test_aggregate__exposes_name_events_description() -> None:
    """Tooling reads name, events and description; the events are ordinary walnats events."""
    kit = account_kit(description="A bank account.")
    assert kit.aggregate.name == kit.name
    assert kit.aggregate.events == (kit.opened, kit.deposited)
    assert kit.aggregate.description == "A bank account."
    assert kit.aggregate.bucket == f"{kit.name}-snapshots"
    assert kit.deposited.subject_for("a-1") == kit.aggregate.subject("a-1", "deposited")


def test_aggregate__registers_in_services() -> None:
    """Services.add(owns=[aggregate]) makes its events part of the system's events."""
    kit = account_kit()
    services = walnats.Services().add("accounts", owns=[kit.aggregate])
    assert set(services.events()) == {kit.opened, kit.deposited}
    assert services.owned() == [kit.aggregate]


def test_aggregate__fold_applies_in_order() -> None:
    """fold() is the pure replay used by load and save."""
    kit = account_kit()
    events = [
        projections.new(kit.opened, Opened("ann")),
        projections.new(kit.deposited, Deposited(3)),
        projections.new(kit.deposited, Deposited(4)),
    ]
    assert kit.aggregate.fold(events) == Account("ann", 7, 2)
    assert kit.aggregate.fold(events[1:], Account("bob", 1, 1)) == Account("bob", 8, 3)
    foreign = account_kit().deposited
    with pytest.raises(walnats.ConfigError, match="is not an event of aggregate"):
        kit.aggregate.fold([projections.new(foreign, Deposited(1))])


def test_aggregate__events_must_belong_to_it() -> None:
    """An event declared without aggregate=<name> is refused with the fix."""
    name = unique_name("acct")
    plain = walnats.Event(unique_name("deposited"), Deposited)
    with pytest.raises(walnats.ConfigError, match=rf"aggregate={name!r}\)$"):
        declare(name, projections.on(plain, deposited))
    event = walnats.Event("deposited", Deposited, aggregate=name)
    with pytest.raises(walnats.ConfigError, match="two applies for event 'deposited'"):
        declare(name, projections.on(event, deposited), projections.on(event, deposited))
    with pytest.raises(walnats.ConfigError, match="has no events"):
        declare(name)
    with pytest.raises(walnats.ConfigError, match=r"apply takes projections\.on"):
        declare(name, (event, deposited))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["Order", "order.items", "", "a" * 65, "order_item"])
def test_aggregate__name_must_be_kebab_case(name: str) -> None:
    """The name becomes a stream name and a subject token."""
    with pytest.raises(walnats.ConfigError, match="must be kebab-case"):
        declare(name, projections.on(account_kit().deposited, deposited))


def test_aggregate__options_are_checked() -> None:
    """Bad snapshot, replication and serializer options fail when declared."""
    name = unique_name("acct")
    applies = projections.on(walnats.Event("opened", Opened, aggregate=name), opened)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"snapshot_every": 0}, "snapshot_every must be an int >= 1"),
        ({"snapshot_every": True}, "snapshot_every must be an int >= 1"),
        ({"initial": Opened("x")}, "initial must be an instance of Account, got Opened"),
        ({"state_version": 0}, "state_version must be >= 1"),
        ({"replicas": 0}, "replicas must be 1 to 5"),
        ({"storage": "disk"}, "storage must be 'file' or 'memory'"),
        ({"duplicate_window": 0}, "duplicate_window must be > 0"),
        ({"description": " "}, "description must not be empty"),
        (
            {"snapshot_upcasters": [projections.SnapshotUpcaster(1, dict)]},
            "snapshot upcaster v1 must read a version below state_version=1",
        ),
        ({"state_serializer": walnats.RawBytes()}, "use a JSON serializer"),
    ]
    for options, message in cases:
        with pytest.raises(walnats.ConfigError, match=message):
            declare(name, applies, **options)


@pytest.mark.parametrize("bad", ["a.b", "a b", "*", ">", "", "x" * 129, 7])
def test_aggregate__ids_are_single_safe_tokens(bad: object) -> None:
    """Ids become a subject token and a KV key: only a safe alphabet passes."""
    with pytest.raises(walnats.ConfigError, match="invalid id"):
        projections._changes.check_id("order", bad)
    assert projections._changes.check_id("order", "0b9f-AZ_z=") == "0b9f-AZ_z="


def test_aggregate__state_serializer_default_is_msgspec_json() -> None:
    """Snapshots use JSON; a custom JSON serializer may replace the default."""
    kit = account_kit()
    data = kit.aggregate.state_codec.encode(Account("ann", 1, 1))
    assert msgspec.json.decode(data) == {"owner": "ann", "balance": 1, "deposits": 1}
