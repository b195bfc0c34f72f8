"""Correct use of the projections API: mypy --strict accepts every line."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

import walnats
from projections import EventMeta, Projection, Reactor, ReactorContext, handle, handle_batch


class Placed(msgspec.Struct):
    order_id: str


class Paid(msgspec.Struct):
    order_id: str
    cents: int


PLACED = walnats.Event("order-placed", Placed)
PAID = walnats.Event("order-paid", Paid)


async def placed(event: Placed, meta: EventMeta, session: AsyncSession) -> None:
    pass


async def paid(event: Paid, meta: EventMeta, session: AsyncSession) -> None:
    pass


async def confirm(event: Placed, ctx: ReactorContext[Placed]) -> None:
    await ctx.emit(PAID, Paid(event.order_id, 0))


SUMMARY = Projection(
    "summary",
    handlers=[handle(PLACED, placed), handle(PAID, paid, key=lambda p: p.order_id)],
)
CONFIRM = Reactor("confirm", PLACED, confirm)


async def paid_many(events: Sequence[tuple[Paid, EventMeta]], session: AsyncSession) -> None:
    pass


TOTALS = Projection("totals", handlers=[handle_batch(PAID, paid_many)])
