"""Misuse mypy must reject; each line marked E: is expected to be an error."""

from __future__ import annotations

from dataclasses import dataclass

import walnats


@dataclass
class OrderPlaced:
    id: int


@dataclass
class OrderPaid:
    id: int


ORDER_PLACED = walnats.Event("order-placed", OrderPlaced)
PRICE = walnats.Event("price-asked", OrderPlaced).with_response(int)


async def handle_paid(order: OrderPaid) -> None:
    pass


async def price_as_text(order: OrderPlaced) -> str:
    return ""


BAD_HANDLER = walnats.Actor("x", ORDER_PLACED, handle_paid)  # E: handler for the wrong event
BAD_RESPONSE = walnats.Actor("y", PRICE, price_as_text)  # E: response of the wrong type


async def publish(conn: walnats.ConnectedEvents) -> None:
    await conn.emit(ORDER_PLACED, OrderPaid(id=1))  # E: payload of the wrong type
    await conn.emit(PRICE, OrderPlaced(id=1))  # E: request events are sent with request()
    text: str = await conn.request(PRICE, OrderPlaced(id=1))  # E: the response is an int
