"""Correct use of the projections API: mypy --strict accepts every line."""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

import walnats
from projections._read import EventMeta, Projection, Reactor, ReactorContext, handle


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
