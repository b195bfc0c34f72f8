"""Declarations, batch preparation and error classification, without servers."""

from __future__ import annotations

import re
import zlib
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from rm_kit import Deposited, applier, balance_projection, balances, deposit_event

import projections._read as read
import walnats
from projections._read import EventMeta, Progress, Projection, Reactor, handle
from projections._read._database import blames_database, database_url
from projections._read._delivery import Delivery
from projections._read._steps import partition_of, prepare
from projections._read._tables import exclude_toolkit_tables


class FakeMsg:
    def __init__(self, subject: str, data: bytes, headers: dict[str, str] | None = None):
        self.subject = subject
        self.data = data
        self.headers = headers
        self.reply = ""


def delivery(stream: str, subject: str, seq: int, payload: Any, **headers: str) -> Delivery:
    msg = FakeMsg(subject, msgspec.json.encode(payload), dict(headers) or None)
    return Delivery(stream, msg, seq, 1_700_000_000_000_000_000, 0)  # type: ignore[arg-type]


def test_exports__all_is_what_the_package_defines() -> None:
    """Every name in __all__ exists, and every public name is in __all__."""
    public = {name for name in dir(read) if not name.startswith("_")}
    assert set(read.__all__) == public


def test_projection__rejects_bad_declarations() -> None:
    """Names, numbers and handlers are checked when the projection is declared."""
    event = deposit_event()
    fn = applier()
    with pytest.raises(walnats.ConfigError, match="kebab-case"):
        Projection("Order Summary", handlers=[handle(event, fn)])
    with pytest.raises(walnats.ConfigError, match=r"must not end in -v<number>"):
        Projection("orders-v2", handlers=[handle(event, fn)])
    with pytest.raises(walnats.ConfigError, match="has no handlers"):
        Projection("orders", handlers=[])
    with pytest.raises(walnats.ConfigError, match="two handlers for event"):
        Projection("orders", handlers=[handle(event, fn), handle(event, fn)])
    with pytest.raises(walnats.ConfigError, match=r"^projection 'orders': batch_size must be"):
        Projection("orders", handlers=[handle(event, fn)], batch_size=0)
    with pytest.raises(walnats.ConfigError, match="on_poison must be 'stop' or 'skip'"):
        Projection("orders", handlers=[handle(event, fn)], on_poison="ignore")  # type: ignore[arg-type]
    with pytest.raises(walnats.ConfigError, match="tables takes sqlalchemy Table"):
        Projection("orders", handlers=[handle(event, fn)], tables=["balances"])  # type: ignore[list-item]
    with pytest.raises(walnats.ConfigError, match="in-memory SQLite"):
        read.open_database("sqlite+aiosqlite://")


def test_projection__consumer_names_and_filters() -> None:
    """Versions and partitions get their own consumer names; filters list the handled events."""
    plain = deposit_event()
    owned = deposit_event("deposited", aggregate="acct")
    projection = Projection(
        "orders", handlers=[handle(plain, applier()), handle(owned, applier())], version=3,
        partitions=2,
    )  # fmt: skip
    assert projection.streams == (plain.name, "acct")
    assert projection.filters("acct") == ["acct.*.deposited"]
    assert [projection.consumer_name(k) for k in range(2)] == ["orders-v3-p0", "orders-v3-p1"]
    assert projection.base_name == "orders-v3"
    assert projection.events == (plain, owned)


def test_reactor__declaration_checks() -> None:
    """Reactors validate their name and options."""

    async def react(event: Deposited, ctx: read.ReactorContext[Deposited]) -> None:
        pass

    reactor = Reactor("confirm", deposit_event(), react)
    assert reactor.events == (reactor.event,)
    with pytest.raises(walnats.ConfigError, match="kebab-case"):
        Reactor("Confirm!", deposit_event(), react)
    with pytest.raises(walnats.ConfigError, match="start must be 'new' or 'all'"):
        Reactor("confirm", deposit_event(), react, start="old")  # type: ignore[arg-type]


def test_prepare__skips_applied_foreign_and_other_partitions() -> None:
    """At or below the checkpoint, re-driven for someone else, or another partition: no call."""
    event = deposit_event("deposited", aggregate="acct")
    projection = balance_projection(event, partitions=2)
    mine = next(a for a in ("a", "b", "c", "d") if partition_of(a, 2) == 0)
    theirs = next(a for a in ("a", "b", "c", "d") if partition_of(a, 2) == 1)
    batch = [
        delivery("acct", f"acct.{mine}.deposited", 5, Deposited(mine, 1)),
        delivery("acct", f"acct.{mine}.deposited", 6, Deposited(mine, 2)),
        delivery("acct", f"acct.{theirs}.deposited", 7, Deposited(theirs, 3)),
        delivery(
            "acct", f"acct.{mine}.deposited", 8, Deposited(mine, 4), **{"Walnats-Target": "x"}
        ),
        delivery("acct", f"acct.{mine}.deposited", 9, Deposited(mine, 5), **{"Nats-Msg-Id": "e9"}),
    ]
    steps = prepare(projection, 0, batch, {"acct": 5}, replaying=True)
    calls = [(s.delivery.sequence, [c.payload.amount for c, _ in s.calls]) for s in steps]
    assert calls == [(5, []), (6, [2]), (7, []), (8, []), (9, [5])]
    meta: EventMeta = steps[-1].calls[0][1]
    assert (meta.aggregate_id, meta.event_id, meta.replaying, meta.partition) == (
        mine,
        "e9",
        True,
        0,
    )
    assert meta.time.year == 2023


def test_prepare__undecodable_payload_is_an_error_step() -> None:
    """A payload that does not fit the schema becomes a step with an error, not a crash."""
    event = deposit_event()
    step = prepare(
        balance_projection(event),
        0,
        [delivery(event.name, event.name, 1, {"x": 1})],
        {},
        replaying=False,
    )[0]
    assert isinstance(step.error, walnats.DecodeError)


def test_partition_of__is_stable() -> None:
    """Partition keys hash the same in every process (CRC-32, not Python's salted hash)."""
    assert [partition_of(f"order-{n}", 4) for n in range(8)] == [
        partition_of(f"order-{n}", 4) for n in range(8)
    ]
    assert partition_of("order-1", 1) == 0
    assert partition_of("order-1", 4) == zlib.crc32(b"order-1") % 4


def test_blames_database__outages_and_schema_but_not_data() -> None:
    """Connection and schema problems are the database's; data and handler errors the event's."""
    down = sa_exc.OperationalError("SELECT 1", {}, ConnectionError("gone"))
    missing = sa_exc.ProgrammingError("SELECT", {}, Exception("relation does not exist"))
    duplicate = sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key"))
    assert blames_database(down)
    assert blames_database(missing)
    assert blames_database(OSError())
    assert not blames_database(duplicate)
    assert not blames_database(ValueError("bad amount"))
    handler_bug = ValueError("handler bug")
    handler_bug.__context__ = OSError("disk")  # raised while handling an OSError
    assert not blames_database(handler_bug)


def test_database_url__defaults_and_drivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """WALNATS_DB wins over the default; plain URLs get the asyncio drivers."""
    monkeypatch.delenv("WALNATS_DB", raising=False)
    assert str(database_url()) == read.DEFAULT_DATABASE
    monkeypatch.setenv("WALNATS_DB", "postgres://u@h/db")
    assert str(database_url()) == "postgresql+asyncpg://u@h/db"
    assert str(database_url("sqlite:///x.db")) == "sqlite+aiosqlite:///x.db"


def test_progress__summary_line() -> None:
    """Progress reports done/total, rate and ETA in one line."""
    progress = Progress("orders", 1, 250, 1000, 0.5)
    assert (progress.rate, progress.eta, progress.fraction) == (500.0, 1.5, 0.25)
    assert str(progress) == "orders v1: 250/1,000 events (25%), 500/s, ETA 2s"
    assert Progress("orders", 1, 0, 10, 0.0).eta is None


def test_exclude_toolkit_tables__hides_only_walnats_tables() -> None:
    """The autogenerate hook hides walnats_* tables and keeps everything else."""
    assert not exclude_toolkit_tables("walnats_checkpoints", "table", {})
    assert not exclude_toolkit_tables("walnats_alembic_version", "table", {})
    assert exclude_toolkit_tables("order_summary", "table", {})
    assert exclude_toolkit_tables("walnats_checkpoints", "column", {})


def test_errors__messages_say_what_to_do() -> None:
    """Projection errors are WalnatsErrors whose message names the fix."""
    stopped = read.ProjectionStopped("orders", "order", 7, "order.o-1.paid", "ValueError: x")
    assert isinstance(stopped, walnats.WalnatsError)
    assert re.search(r"stopped at order sequence 7 .* on_poison='skip'", str(stopped))
    ahead = read.CheckpointAhead("orders", "order", 9, 3)
    assert "walnats replay" in str(ahead)


def test_tables__metadata_lists_the_toolkit_tables() -> None:
    """toolkit_metadata holds exactly the five walnats_* tables."""
    assert sorted(read.toolkit_metadata.tables) == [
        "walnats_checkpoints",
        "walnats_claims",
        "walnats_ledger",
        "walnats_projections",
        "walnats_reactors",
    ]
    assert isinstance(balances, sa.Table)
