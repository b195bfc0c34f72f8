"""Correct use of the projections API: mypy --strict must accept every line."""

from __future__ import annotations

from typing import assert_type

import msgspec

import projections
import walnats


class Placed(msgspec.Struct, frozen=True):
    sku: str


class Paid(msgspec.Struct, frozen=True):
    amount: int


class Order(msgspec.Struct, frozen=True):
    sku: str = ""
    paid: int = 0


PLACED = walnats.Event("placed", Placed, aggregate="order")
PAID = walnats.Event("paid", Paid, aggregate="order")


def placed(state: Order, event: Placed) -> Order:
    return msgspec.structs.replace(state, sku=event.sku)


def paid(state: Order, event: Paid) -> Order:
    return msgspec.structs.replace(state, paid=state.paid + event.amount)


ORDER = projections.Aggregate(
    "order",
    state=Order,
    initial=Order(),
    apply=[projections.on(PLACED, placed), projections.on(PAID, paid, version=1)],
)
assert_type(ORDER, projections.Aggregate[Order])


def pay(state: Order, amount: int) -> list[projections.NewEvent]:
    if state.paid:
        return []
    return [projections.new(PAID, Paid(amount))]


async def use(store: projections.EventStore[Order]) -> None:
    loaded = await store.load("o-1")
    assert_type(loaded.state, Order)
    saved = await store.save("o-1", pay(loaded.state, 3), loaded, command_id="c-1")
    assert_type(saved.sequence, int)
    done = await store.execute("o-1", lambda order: pay(order, 5))
    assert_type(done.state, Order)
    retried = await projections.retry_on_conflict(store, "o-1", lambda order: pay(order, 5))
    assert_type(retried, projections.Executed[Order])
    report = await projections.snapshot_moved(store, min_events=10)
    assert_type(report.taken, int)
