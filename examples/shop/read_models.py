"""The shop's read side: an order summary, daily revenue, and order confirmations.

Built from the events of the ``order`` aggregate (``examples/shop/orders.py``):

* ``order-summary`` (a projection): one row per order with its status, items, total
  and tracking number, for the order pages;
* ``daily-revenue`` (a projection): paid and refunded cents per day, for the finance
  dashboard;
* ``confirm-order`` (a reactor): writes a confirmation e-mail to an outbox table once
  per order; a mailer process sends the outbox. It never sends again when the
  projections are replayed.

Register them with the shop's services so ``walnats run`` runs them and tooling draws
them::

    services.add("reporting", description="...", owns=[ORDER_SUMMARY, DAILY_REVENUE])
    services.add("notifications", ..., owns=[CONFIRM_ORDER])

Run the demo on its own (an embedded nats-server and a temporary SQLite database)::

    python -m examples.shop.read_models
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import projections
from projections import (
    EventMeta,
    Projection,
    ProjectionRunner,
    Reactor,
    ReactorContext,
    ReactorRunner,
    handle,
    open_database,
    replay,
    upgrade_database,
)

from .orders import (
    ITEM_ADDED,
    ORDER,
    ORDER_CANCELLED,
    ORDER_CREATED,
    ORDER_PAID,
    ORDER_SHIPPED,
    ItemAdded,
    Line,
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderShipped,
    add_item,
    cancel,
    pay,
    place,
    ship,
)

# -- the read-model tables: the application's own (create them with your migrations) ---


class Base(DeclarativeBase):
    pass


class OrderSummary(Base):
    """One row per order, as the order pages show it."""

    __tablename__ = "order_summary"
    order_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    customer: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(16))
    items: Mapped[int] = mapped_column(default=0)
    total_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    paid_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    tracking: Mapped[str | None] = mapped_column(sa.String(100), default=None)
    events: Mapped[int] = mapped_column(default=0)
    """Events applied: equals the aggregate's version, as each event is applied once."""
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))


class DailyRevenue(Base):
    """Money in and out per day (UTC), for the finance dashboard."""

    __tablename__ = "daily_revenue"
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    orders_paid: Mapped[int] = mapped_column(default=0)
    paid_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    refunded_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class Outbox(Base):
    """E-mails to send; the confirmation reactor writes them, a mailer sends them."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(sa.String(200))
    subject: Mapped[str] = mapped_column(sa.String(200))
    caused_by: Mapped[str] = mapped_column(sa.String(255), unique=True)


# -- order-summary ------------------------------------------------------------------------


async def _summary(session: AsyncSession, meta: EventMeta) -> OrderSummary:
    row = await session.get(OrderSummary, meta.aggregate_id)
    if row is None:  # a replay from a later sequence: start the row empty
        row = OrderSummary(order_id=meta.aggregate_id, customer="", status="open", items=0,
                           total_cents=0, paid_cents=0, events=0)  # fmt: skip
        session.add(row)
    row.events += 1
    row.updated_at = meta.time
    return row


async def summary_created(event: OrderCreated, meta: EventMeta, session: AsyncSession) -> None:
    row = await _summary(session, meta)
    row.customer, row.status = event.customer, "open"


async def summary_item_added(event: ItemAdded, meta: EventMeta, session: AsyncSession) -> None:
    row = await _summary(session, meta)
    row.items += event.quantity
    row.total_cents += event.quantity * event.price_cents


async def summary_paid(event: OrderPaid, meta: EventMeta, session: AsyncSession) -> None:
    row = await _summary(session, meta)
    row.status, row.paid_cents = "paid", event.amount_cents


async def summary_shipped(event: OrderShipped, meta: EventMeta, session: AsyncSession) -> None:
    row = await _summary(session, meta)
    row.status, row.tracking = "shipped", event.tracking


async def summary_cancelled(event: OrderCancelled, meta: EventMeta, session: AsyncSession) -> None:
    row = await _summary(session, meta)
    row.status, row.paid_cents = "cancelled", row.paid_cents - event.refund_cents


ORDER_SUMMARY = Projection(
    "order-summary",
    description="Each order's status, items, total and tracking number.",
    handlers=[
        handle(ORDER_CREATED, summary_created),
        handle(ITEM_ADDED, summary_item_added),
        handle(ORDER_PAID, summary_paid),
        handle(ORDER_SHIPPED, summary_shipped),
        handle(ORDER_CANCELLED, summary_cancelled),
    ],
    tables=[OrderSummary],
)


# -- daily-revenue ------------------------------------------------------------------------


async def _day(session: AsyncSession, meta: EventMeta) -> DailyRevenue:
    day = meta.time.date()  # the time the event was stored: a replay gives the same day
    row = await session.get(DailyRevenue, day)
    if row is None:
        row = DailyRevenue(day=day, orders_paid=0, paid_cents=0, refunded_cents=0)
        session.add(row)
    return row


async def revenue_paid(event: OrderPaid, meta: EventMeta, session: AsyncSession) -> None:
    row = await _day(session, meta)
    row.orders_paid += 1
    row.paid_cents += event.amount_cents


async def revenue_refunded(event: OrderCancelled, meta: EventMeta, session: AsyncSession) -> None:
    if event.refund_cents:
        row = await _day(session, meta)
        row.refunded_cents += event.refund_cents


DAILY_REVENUE = Projection(
    "daily-revenue",
    description="Paid and refunded cents per day (UTC).",
    handlers=[handle(ORDER_PAID, revenue_paid), handle(ORDER_CANCELLED, revenue_refunded)],
    tables=[DailyRevenue],
)


# -- confirm-order --------------------------------------------------------------------------


async def confirm(event: OrderCreated, ctx: ReactorContext[OrderCreated]) -> None:
    """Queue the confirmation e-mail: committed with the ledger row, so exactly once."""
    ctx.session.add(
        Outbox(
            recipient=event.email,
            subject=f"We received your order {ctx.aggregate_id}",
            caused_by=ctx.event_id,
        )
    )


CONFIRM_ORDER = Reactor(
    "confirm-order",
    ORDER_CREATED,
    confirm,
    description="E-mails the customer that the order was received (via the outbox).",
    start="all",
    tables=[Outbox],
)

READ_MODELS = (ORDER_SUMMARY, DAILY_REVENUE, CONFIRM_ORDER)
"""Everything here, for ``services.add(..., owns=READ_MODELS)``."""


async def create_tables(engine: AsyncEngine) -> None:
    """Create the read-model tables (the demo's shortcut; use Alembic in production)."""
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)


async def summaries(engine: AsyncEngine) -> list[tuple[object, ...]]:
    """The order-summary rows, for printing and comparing."""
    async with AsyncSession(engine) as session:
        rows = await session.scalars(sa.select(OrderSummary).order_by(OrderSummary.order_id))
        return [
            (r.order_id, r.customer, r.status, r.items, r.total_cents, r.paid_cents, r.tracking,
             r.events)
            for r in rows
        ]  # fmt: skip


# -- the demo ---------------------------------------------------------------------------------


def say(text: str) -> None:
    print(text, flush=True)


async def demo(server: str, db: str) -> bool:
    """Orders, the read models and the outbox, then a replay rebuilding them identically."""
    engine = open_database(db)
    await upgrade_database(engine)  # `walnats db upgrade` in a deployment
    await create_tables(engine)
    async with ORDER.connect(server) as orders:
        say("\nread 1. Three orders: one shipped, one paid, one cancelled after payment.")
        for order_id, customer, items in [
            ("o-1", "ada", (Line("walrus-plush", 2, 1500),)),
            ("o-2", "grace", (Line("tusk-polish", 1, 650), Line("card", 1, 150))),
            ("o-3", "linus", (Line("gift-wrap", 3, 300),)),
        ]:
            await orders.execute(
                order_id, lambda o, c=customer, i=items: place(o, c, f"{c}@example.com", i)
            )
        await orders.execute("o-1", lambda o: pay(o, o.total_cents))
        await orders.execute("o-1", lambda o: ship(o, "walrus-post", "WP-1"))
        await orders.execute("o-2", lambda o: add_item(o, "sticker", 2, 50))
        await orders.execute("o-2", lambda o: pay(o, o.total_cents))
        await orders.execute("o-3", lambda o: pay(o, o.total_cents))
        last = await orders.execute("o-3", lambda o: cancel(o, "changed my mind"))

        nc = orders.client
        say("read 2. The projections and the reactor catch up (one transaction per batch).")
        async with (
            ProjectionRunner(ORDER_SUMMARY, nc, engine) as summary,
            ProjectionRunner(DAILY_REVENUE, nc, engine) as revenue,
            ReactorRunner([CONFIRM_ORDER], nc, engine) as reactor,
        ):
            await projections.wait_for_projection(summary, last)  # read your own writes
            await revenue.catch_up()
            await reactor.catch_up()
            for row in await summaries(engine):
                say(f"   {row[0]}: {row[1]:6} {row[2]:9} items={row[3]} total={row[4]} "
                    f"paid={row[5]} tracking={row[6]} events={row[7]}")  # fmt: skip
            async with AsyncSession(engine) as session:
                for day in await session.scalars(sa.select(DailyRevenue)):
                    say(f"   {day.day}: {day.orders_paid} orders paid, {day.paid_cents} cents in, "
                        f"{day.refunded_cents} refunded")  # fmt: skip
                mails = list(
                    await session.scalars(sa.select(Outbox.recipient).order_by(Outbox.recipient))
                )
            say(f"   outbox: {len(mails)} confirmation e-mails ({', '.join(mails)})")

        say("read 3. Replay order-summary from the log: the same rows, no e-mail sent again.")
        before = await summaries(engine)
        [report] = await replay(ORDER_SUMMARY, nc=nc, db=engine)
        after = await summaries(engine)
        say(f"   replayed {report.events} events in {report.seconds * 1000:.0f} ms; "
            f"identical: {before == after}")  # fmt: skip
    await engine.dispose()
    return before == after


def main() -> int:
    from walnats.testing import NatsServer

    with NatsServer() as server, tempfile.TemporaryDirectory() as folder:
        db = f"sqlite+aiosqlite:///{Path(folder) / 'shop.db'}"
        identical = asyncio.run(demo(server.url, db))
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
