"""The actors of the example shop: each reacts to one event, some emit follow-ups."""

from __future__ import annotations

import logging

import walnats

from .events import (
    ORDER_PLACED,
    PARCEL_SHIPPED,
    PAYMENT_CAPTURED,
    SHIPPING_QUOTE,
    OrderPlaced,
    ParcelShipped,
    PaymentCaptured,
    Quote,
    QuoteRequest,
)

log = logging.getLogger("shop")


async def charge_card(order: OrderPlaced, ctx: walnats.Context[OrderPlaced]) -> None:
    """Charge the customer, then tell everyone the payment went through."""
    log.info("payments: charged %s for order %s", _money(order.total_cents), order.order_id)
    await ctx.emit(PAYMENT_CAPTURED, PaymentCaptured(order.order_id, order.total_cents))


async def send_confirmation(order: OrderPlaced) -> None:
    """Email the customer that the order was received."""
    log.info("notifications: confirmation sent to %s for order %s", order.email, order.order_id)


async def ship_order(payment: PaymentCaptured, ctx: walnats.Context[PaymentCaptured]) -> None:
    """Hand a paid order to the carrier."""
    tracking = f"TRK-{payment.order_id.upper()}"
    log.info("shipping: order %s shipped, tracking %s", payment.order_id, tracking)
    await ctx.emit(PARCEL_SHIPPED, ParcelShipped(payment.order_id, "walrus-post", tracking))


def notify_customer(parcel: ParcelShipped) -> None:
    """Text the customer the tracking number (a sync handler: runs in a thread)."""
    log.info("notifications: told the customer of %s about %s", parcel.order_id, parcel.tracking)


async def quote_shipping(request: QuoteRequest) -> Quote:
    """Answer shipping-quote requests."""
    base = 450 if request.country == "NL" else 990
    return Quote(price_cents=base + request.weight_grams // 100 * 20, carrier="walrus-post")


def _money(cents: int) -> str:
    return f"EUR {cents / 100:.2f}"


CHARGE_CARD = walnats.Actor(
    "charge-card",
    ORDER_PLACED,
    charge_card,
    description="Captures the payment of a placed order.",
    retry=walnats.RetryPolicy(max_attempts=5, initial=1, maximum=30),
)
SEND_CONFIRMATION = walnats.Actor(
    "send-confirmation",
    ORDER_PLACED,
    send_confirmation,
    description="Emails the order confirmation.",
)
SHIP_ORDER = walnats.Actor(
    "ship-order", PAYMENT_CAPTURED, ship_order, description="Ships paid orders."
)
NOTIFY_CUSTOMER = walnats.Actor(
    "notify-customer",
    PARCEL_SHIPPED,
    notify_customer,
    description="Texts the tracking number to the customer.",
)
QUOTE_SHIPPING = walnats.Actor(
    "quote-shipping",
    SHIPPING_QUOTE,
    quote_shipping,
    description="Prices a parcel.",
)
