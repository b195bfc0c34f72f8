"""Type-checked usage of the public API: mypy --strict must accept every line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_type

import walnats


@dataclass
class OrderPlaced:
    id: int


ORDER_PLACED = walnats.Event("order-placed", OrderPlaced)
PRICE = walnats.Event("price-asked", OrderPlaced).with_response(int)


async def send_email(order: OrderPlaced) -> None:
    pass


def send_sms(order: OrderPlaced, ctx: walnats.Context[OrderPlaced]) -> None:
    pass


async def price(order: OrderPlaced) -> int:
    return order.id


EMAIL = walnats.Actor("send-email", ORDER_PLACED, send_email)
SMS = walnats.Actor("send-sms", ORDER_PLACED, send_sms)
PRICER = walnats.Actor("pricer", PRICE, price)
assert_type(EMAIL, walnats.Actor[OrderPlaced, None])
assert_type(PRICER, walnats.Actor[OrderPlaced, int])


async def publish(conn: walnats.ConnectedEvents) -> None:
    receipt = await conn.emit(ORDER_PLACED, OrderPlaced(id=1))
    assert_type(receipt, walnats.Emitted)
    answer = await conn.request(PRICE, OrderPlaced(id=1))
    assert_type(answer, int)
