"""Misuse of the projections API: mypy --strict must reject exactly the lines marked E."""

from __future__ import annotations

import msgspec

import projections
import walnats


class Placed(msgspec.Struct, frozen=True):
    sku: str


class Paid(msgspec.Struct, frozen=True):
    amount: int


class Order(msgspec.Struct, frozen=True):
    paid: int = 0


class Cart(msgspec.Struct, frozen=True):
    items: int = 0


PLACED = walnats.Event("placed", Placed, aggregate="order")
PAID = walnats.Event("paid", Paid, aggregate="order")


def placed(state: Order, event: Placed) -> Order:
    return state


def paid(state: Order, event: Paid) -> Order:
    return state


def cart_paid(state: Cart, event: Paid) -> Cart:
    return state


WRONG_PAYLOAD = projections.Aggregate(
    "order",
    state=Order,
    initial=Order(),
    apply=[projections.on(PLACED, placed), projections.on(PAID, placed)],  # E: apply for Placed
)
WRONG_STATE = projections.Aggregate(  # E: an apply of another state type
    "order",
    state=Order,
    initial=Order(),
    apply=[projections.on(PAID, cart_paid)],
)
WRONG_INITIAL = projections.Aggregate(  # E: initial is not a state
    "order", state=Order, initial=Cart(), apply=[projections.on(PAID, paid)]
)


def pay(state: Order) -> list[projections.NewEvent]:
    return [projections.new(PAID, Paid(1)), projections.new(PAID, Placed("x"))]  # E: payload


async def use(store: projections.EventStore[Order], carts: projections.EventStore[Cart]) -> None:
    await store.execute("o-1", pay)
    await carts.execute("c-1", pay)  # E: command for another aggregate
    loaded = await store.load("o-1")
    await carts.save("c-1", [], loaded)  # E: a Loaded of another aggregate
