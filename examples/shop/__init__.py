"""The example shop: orders, payments, shipping and notifications as walnats services.

``examples.shop:services`` is the registry ``walnats run``, ``walnats graph`` and
``walnats asyncapi`` read (see ``[tool.walnats]`` in pyproject.toml).
"""

from __future__ import annotations

import walnats

from .actors import CHARGE_CARD, NOTIFY_CUSTOMER, QUOTE_SHIPPING, SEND_CONFIRMATION, SHIP_ORDER
from .events import ORDER_PLACED, PARCEL_SHIPPED, PAYMENT_CAPTURED, SHIPPING_QUOTE
from .orders import ORDER
from .read_models import CONFIRM_ORDER, DAILY_REVENUE, ORDER_SUMMARY

services = walnats.Services()
services.add(
    "orders",
    version="1.0.0",
    description="Takes and tracks orders (event-sourced).",
    owns=[ORDER],
)
services.add(
    "checkout",
    version="1.0.0",
    description="Takes orders from customers.",
    emits=[ORDER_PLACED, SHIPPING_QUOTE],
)
services.add(
    "payments",
    version="1.2.0",
    description="Charges customers.",
    emits=[PAYMENT_CAPTURED],
    defines=[CHARGE_CARD],
)
services.add(
    "shipping",
    version="0.9.0",
    description="Prices and ships parcels.",
    emits=[PARCEL_SHIPPED],
    defines=[SHIP_ORDER, QUOTE_SHIPPING],
)
services.add(
    "notifications",
    version="2.0.0",
    description="Keeps customers informed.",
    defines=[SEND_CONFIRMATION, NOTIFY_CUSTOMER],
    owns=[CONFIRM_ORDER],
)
services.add(
    "reporting",
    version="1.0.0",
    description="Read models for the back office (SQL).",
    owns=[ORDER_SUMMARY, DAILY_REVENUE],
)

__all__ = ["services"]
