"""Misuse of the projections API: mypy --strict reports each line with an E marker."""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

import walnats
from projections import EventMeta, Projection, Reactor, ReactorContext, handle, handle_batch


class Placed(msgspec.Struct):
    order_id: str


class Paid(msgspec.Struct):
    cents: int


PLACED = walnats.Event("order-placed", Placed)
PAID = walnats.Event("order-paid", Paid)


async def paid(event: Paid, meta: EventMeta, session: AsyncSession) -> None:
    pass


async def no_session(event: Placed, meta: EventMeta) -> None:
    pass


async def confirm_paid(event: Paid, ctx: ReactorContext[Paid]) -> None:
    await ctx.emit(PLACED, Paid(1))  # E: emitted payload does not match the event


WRONG = Projection("wrong", handlers=[handle(PLACED, paid)])  # E: handler for another payload
SHORT = Projection("short", handlers=[handle(PLACED, no_session)])  # E: handler without session
KEY = handle(PAID, paid, key=lambda p: p.order_id)  # E: Paid has no order_id
REACT = Reactor("react", PLACED, confirm_paid)  # E: reactor for another payload
BATCH = handle_batch(PLACED, paid)  # E: a batch handler takes a list of events
