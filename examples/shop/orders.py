"""The order as an event-sourced aggregate: place, add items, pay, ship, cancel.

Each command is a plain function ``(order, ...) -> list[NewEvent]``: it checks the
rules against the current state and decides which events happen. The store loads
the order, runs the command and appends its events with optimistic concurrency; a
command that returns several events (``place`` with items) is stored atomically.

Register it with the shop's services so tooling draws it::

    services.add("orders", description="...", owns=[orders.ORDER])

Run the demo on its own (it starts an embedded nats-server)::

    python -m examples.shop.orders
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Literal

import msgspec

import projections
import walnats

Status = Literal["new", "open", "paid", "shipped", "cancelled"]


# -- events: facts about one order, stored under order.<order-id>.<event-name> ---------


class OrderCreated(msgspec.Struct, frozen=True):
    customer: str
    email: str


class ItemAdded(msgspec.Struct, frozen=True):
    sku: str
    quantity: int
    price_cents: int


class OrderPaid(msgspec.Struct, frozen=True):
    amount_cents: int


class OrderShipped(msgspec.Struct, frozen=True):
    carrier: str
    tracking: str


class OrderCancelled(msgspec.Struct, frozen=True):
    reason: str
    refund_cents: int


ORDER_CREATED = walnats.Event(
    "order-created",
    OrderCreated,
    aggregate="order",
    description="A customer opened an order; items can be added until it is paid.",
)
ITEM_ADDED = walnats.Event(
    "order-item-added", ItemAdded, aggregate="order", description="An item was added."
)
ORDER_PAID = walnats.Event(
    "order-paid", OrderPaid, aggregate="order", description="The order was paid in full."
)
ORDER_SHIPPED = walnats.Event(
    "order-shipped", OrderShipped, aggregate="order", description="The parcel left."
)
ORDER_CANCELLED = walnats.Event(
    "order-cancelled",
    OrderCancelled,
    aggregate="order",
    description="The order was cancelled, refunding what was paid.",
)


# -- state: immutable, rebuilt from the events -----------------------------------------


class Line(msgspec.Struct, frozen=True):
    sku: str
    quantity: int
    price_cents: int


class Order(msgspec.Struct, frozen=True):
    status: Status = "new"
    customer: str = ""
    email: str = ""
    lines: tuple[Line, ...] = ()
    paid_cents: int = 0
    tracking: str = ""

    @property
    def total_cents(self) -> int:
        return sum(line.quantity * line.price_cents for line in self.lines)


def created(order: Order, event: OrderCreated) -> Order:
    return msgspec.structs.replace(order, status="open", customer=event.customer, email=event.email)


def item_added(order: Order, event: ItemAdded) -> Order:
    line = Line(event.sku, event.quantity, event.price_cents)
    return msgspec.structs.replace(order, lines=(*order.lines, line))


def paid(order: Order, event: OrderPaid) -> Order:
    return msgspec.structs.replace(order, status="paid", paid_cents=event.amount_cents)


def shipped(order: Order, event: OrderShipped) -> Order:
    return msgspec.structs.replace(order, status="shipped", tracking=event.tracking)


def cancelled(order: Order, event: OrderCancelled) -> Order:
    return msgspec.structs.replace(order, status="cancelled", paid_cents=0)


ORDER = projections.Aggregate(
    "order",
    state=Order,
    initial=Order(),
    apply=[
        projections.on(ORDER_CREATED, created),
        projections.on(ITEM_ADDED, item_added),
        projections.on(ORDER_PAID, paid),
        projections.on(ORDER_SHIPPED, shipped),
        projections.on(ORDER_CANCELLED, cancelled),
    ],
    description="A customer's order, from checkout to delivery or cancellation.",
    snapshot_every=50,
)


# -- commands: check the rules, decide the events --------------------------------------


class OrderRejected(Exception):
    """The command is not allowed in the order's current state."""


def place(
    order: Order, customer: str, email: str, items: tuple[Line, ...] = ()
) -> list[projections.NewEvent]:
    """Open the order, with its first items: one atomic command."""
    if order.status != "new":
        raise OrderRejected(f"the order was already placed (it is {order.status})")
    events = [projections.new(ORDER_CREATED, OrderCreated(customer, email))]
    return events + add_items(Order(status="open"), items)


def add_item(order: Order, sku: str, quantity: int, price_cents: int) -> list[projections.NewEvent]:
    """Add an item to an open order."""
    if order.status != "open":
        raise OrderRejected(f"items can only be added to an open order (it is {order.status})")
    if quantity < 1 or price_cents < 0:
        raise OrderRejected("quantity must be >= 1 and the price >= 0")
    return [projections.new(ITEM_ADDED, ItemAdded(sku, quantity, price_cents))]


def add_items(order: Order, lines: tuple[Line, ...]) -> list[projections.NewEvent]:
    """Add several items at once: stored atomically, all or none."""
    return [e for line in lines for e in add_item(order, line.sku, line.quantity, line.price_cents)]


def pay(order: Order, amount_cents: int) -> list[projections.NewEvent]:
    """Pay the order in full."""
    if order.status != "open" or not order.lines:
        raise OrderRejected(f"only an open order with items can be paid (it is {order.status})")
    if amount_cents != order.total_cents:
        raise OrderRejected(f"the order costs {order.total_cents} cents, not {amount_cents}")
    return [projections.new(ORDER_PAID, OrderPaid(amount_cents))]


def ship(order: Order, carrier: str, tracking: str) -> list[projections.NewEvent]:
    """Hand a paid order to a carrier."""
    if order.status != "paid":
        raise OrderRejected(f"only a paid order can be shipped (it is {order.status})")
    return [projections.new(ORDER_SHIPPED, OrderShipped(carrier, tracking))]


def cancel(order: Order, reason: str) -> list[projections.NewEvent]:
    """Cancel an order that has not shipped, refunding what was paid."""
    if order.status in ("shipped", "cancelled"):
        return []  # nothing to do: cancelling twice is not an error
    if order.status == "new":
        raise OrderRejected("there is no such order")
    return [projections.new(ORDER_CANCELLED, OrderCancelled(reason, order.paid_cents))]


# -- the demo ---------------------------------------------------------------------------


def say(text: str) -> None:
    print(text, flush=True)


async def demo(server: str) -> None:
    """A command, a concurrent-writer conflict handled, and a snapshot."""
    async with ORDER.connect(server) as orders:
        say("\norders 1. A command: place order o-100 with two items (one atomic append).")
        items = (Line("walrus-plush", 2, 1500), Line("tusk-polish", 1, 650))
        done = await orders.execute("o-100", lambda o: place(o, "ada", "ada@example.com", items))
        say(
            f"   order o-100 is {done.state.status}, version {done.version}, "
            f"total {done.state.total_cents} cents, stream sequence {done.sequence}"
        )

        say("orders 2. Two clerks add an item at the same time, both from version 3.")
        base = await orders.load("o-100")
        first = add_item(base.state, "gift-wrap", 1, 300)
        second = add_item(base.state, "card", 1, 150)
        results = await asyncio.gather(
            orders.save("o-100", first, base),
            orders.save("o-100", second, base),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, projections.Saved):
                say(f"   one won: version {result.version}")
            elif isinstance(result, walnats.ConcurrencyError):
                say(
                    f"   one lost: ConcurrencyError (expected {result.expected}, "
                    f"actual {result.actual})"
                )
            else:
                raise result
        say("   with retry_on_conflict the loser reloads and runs its command again:")
        retried = await projections.retry_on_conflict(
            orders, "o-100", lambda o: add_item(o, "card", 1, 150)
        )
        say(f"   both items are in: {len(retried.state.lines)} lines, version {retried.version}")
        total = retried.state.total_cents
        paid_order = await orders.execute("o-100", lambda o: pay(o, total), command_id="pay-o-100")
        again = await orders.execute("o-100", lambda o: pay(o, total), command_id="pay-o-100")
        say(f"   paid {paid_order.state.paid_cents} cents; the retried payment (same")
        say(f"   command id) is a no-op: duplicate={again.duplicate}")
        await orders.execute("o-100", lambda o: ship(o, "walrus-post", "WP-1"))

        say("orders 3. Snapshots: o-200 gets 120 items, 3 per command (snapshot_every=50).")
        await orders.execute("o-200", lambda o: place(o, "grace", "grace@example.com"))
        for n in range(40):
            lines = tuple(Line(f"sku-{n}-{k}", 1, 100) for k in range(3))
            await orders.execute("o-200", partial(add_items, lines=lines))
        loaded = await orders.load("o-200")
        say(
            f"   o-200 loads at version {loaded.version} from its snapshot at version "
            f"{loaded.snapshot_version}, reading only {loaded.replayed} events"
        )
        report = await projections.snapshot_moved(orders, min_events=5)
        say(f"   the snapshot job checked {report.checked} orders and snapshotted {report.taken}")
        loaded = await orders.load("o-100")
        say(f"   o-100 now loads from its snapshot, reading {loaded.replayed} events")


def main() -> int:
    from walnats.testing import NatsServer

    with NatsServer() as server:
        asyncio.run(demo(server.url))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
