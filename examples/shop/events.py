"""The events of the example shop: what happened, as facts other services react to."""

from __future__ import annotations

import msgspec

import walnats


class OrderPlaced(msgspec.Struct, frozen=True):
    order_id: str
    customer: str
    email: str
    total_cents: int


class PaymentCaptured(msgspec.Struct, frozen=True):
    order_id: str
    amount_cents: int


class ParcelShipped(msgspec.Struct, frozen=True):
    order_id: str
    carrier: str
    tracking: str


class QuoteRequest(msgspec.Struct, frozen=True):
    weight_grams: int
    country: str


class Quote(msgspec.Struct, frozen=True):
    price_cents: int
    carrier: str


ORDER_PLACED = walnats.Event(
    "order-placed",
    OrderPlaced,
    description="A customer checked out; the order awaits payment.",
)
PAYMENT_CAPTURED = walnats.Event(
    "payment-captured",
    PaymentCaptured,
    description="The payment provider captured the order's amount.",
)
PARCEL_SHIPPED = walnats.Event(
    "parcel-shipped",
    ParcelShipped,
    description="The warehouse handed the parcel to a carrier.",
)
SHIPPING_QUOTE = walnats.Event(
    "shipping-quote",
    QuoteRequest,
    description="Asks shipping what a parcel would cost.",
).with_response(Quote)
