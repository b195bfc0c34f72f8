"""The benchmark payload: one msgspec Struct that encodes to exactly 109 bytes of JSON."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

__all__ = ["PAYLOAD_SIZE", "OrderPlaced", "check_size", "make_order", "orders", "seq_of"]

PAYLOAD_SIZE = 109
"""The payload size the issue prescribes; every order below encodes to exactly this."""

_FIRST_ID = 1_000_000
"""Order ids have seven digits, so every payload has the same length."""
_LAST_ID = 9_999_999


class OrderPlaced(msgspec.Struct, frozen=True):
    """A typical small domain event."""

    order_id: int
    customer_id: int
    sku: str
    quantity: int
    price_cents: int
    currency: str


def make_order(seq: int) -> OrderPlaced:
    """The *seq*-th order (``0 <= seq < 9,000,000``); ``order_id - 1,000,000 == seq``."""
    order_id = _FIRST_ID + seq
    if order_id > _LAST_ID:
        raise ValueError(f"seq {seq} is too large for a fixed-size payload")
    return OrderPlaced(
        order_id=order_id,
        customer_id=424,
        sku="9780134685991",
        quantity=2,
        price_cents=1999,
        currency="EUR",
    )


def orders(count: int, start: int = 0) -> Iterator[OrderPlaced]:
    """Orders *start* .. *start + count - 1*."""
    return (make_order(seq) for seq in range(start, start + count))


def seq_of(order: OrderPlaced) -> int:
    """The sequence number :func:`make_order` was called with."""
    return order.order_id - _FIRST_ID


def check_size() -> None:
    """Fail loudly if the payload drifted from 109 bytes (e.g. after editing a field)."""
    size = len(msgspec.json.encode(make_order(0)))
    if size != PAYLOAD_SIZE:
        raise RuntimeError(f"benchmark payload is {size} bytes, not {PAYLOAD_SIZE}")
