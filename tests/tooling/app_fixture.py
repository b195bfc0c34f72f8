"""The app the tooling tests load, in process and as ``tests.tooling.app_fixture:services``.

Names end with ``$TOOLING_APP_SUFFIX`` so that each test touching the server gets its
own streams and consumers; :func:`declare` builds the same declarations in the test
process. Handlers append a line to ``$TOOLING_APP_OUT`` so that a test can see what
``walnats run`` handled.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pydantic

import projections
import walnats


class OrderPlaced(msgspec.Struct):
    """A customer placed an order."""

    order_id: int
    items: list[str]


class QuoteRequest(pydantic.BaseModel):
    """What to quote."""

    order_id: int
    weight_g: int


class Quote(pydantic.BaseModel):
    """The price of shipping an order."""

    order_id: int
    price_cents: int


class Incremented(msgspec.Struct):
    """A counter went up."""

    by: int


def record(line: str) -> None:
    """Append *line* to the file named by ``$TOOLING_APP_OUT`` (when set)."""
    out = os.environ.get("TOOLING_APP_OUT")
    if out:
        with Path(out).open("a", encoding="utf-8") as file:
            file.write(line + "\n")


async def send_email(order: OrderPlaced) -> None:
    """Pretend to send a confirmation."""
    record(f"email {order.order_id}")


async def ship(order: OrderPlaced) -> None:
    """Pretend to ship."""
    record(f"ship {order.order_id}")


async def quote(request: QuoteRequest) -> Quote:
    """Price by weight."""
    return Quote(order_id=request.order_id, price_cents=request.weight_g // 10)


async def audit(order: OrderPlaced) -> None:
    """Always gives up, to produce a dead letter."""
    record(f"audit {order.order_id}")
    raise walnats.Reject(f"order {order.order_id} cannot be audited")


def incremented(state: int, event: Incremented) -> int:
    """The counter's new value."""
    return state + event.by


@dataclass(frozen=True)
class App:
    """The declarations of one app instance (one suffix)."""

    order_placed: walnats.Event[OrderPlaced]
    quote: walnats.EventWithResponse[QuoteRequest, Quote]
    parcel_shipped: walnats.Event[bytes]
    incremented: walnats.Event[Incremented]
    counter: projections.Aggregate[int]
    services: walnats.Services
    """Two services with actors: what ``walnats run`` runs."""
    es_services: walnats.Services
    """The same plus a service owning an aggregate (graph, asyncapi, snapshot)."""

    def actor(self, role: str) -> str:
        """The name of the actor for *role* (``send-email``, ``audit``, ...)."""
        return f"{role}-{self.order_placed.name.removeprefix('order-placed-')}"


def declare(suffix: str) -> App:
    """Every declaration of the app, with names ending in *suffix*."""
    order_placed = walnats.Event(
        f"order-placed-{suffix}", OrderPlaced, description="A customer placed an order."
    )
    quote_event = walnats.Event(f"quote-shipping-{suffix}", QuoteRequest).with_response(Quote)
    parcel_shipped = walnats.Event(f"parcel-shipped-{suffix}", bytes)
    counter_name = f"counter-{suffix}"
    incremented_event = walnats.Event(f"incremented-{suffix}", Incremented, aggregate=counter_name)
    counter = projections.Aggregate(
        counter_name, int, 0, apply=[projections.on(incremented_event, incremented)]
    )
    send = walnats.Actor(
        f"send-email-{suffix}", order_placed, send_email, description="Confirms the order."
    )
    ship_order = walnats.Actor(f"ship-order-{suffix}", order_placed, ship, max_attempts=3)
    quote_actor = walnats.Actor(f"quote-{suffix}", quote_event, quote)
    audit_actor = walnats.Actor(f"audit-{suffix}", order_placed, audit, max_attempts=1)

    def build(*, with_aggregate: bool) -> walnats.Services:
        services = walnats.Services()
        services.add(
            "orders",
            version="1.2.0",
            description="Takes orders.",
            emits=[order_placed, quote_event],
            defines=[send, audit_actor],
        )
        services.add("shipping", emits=[parcel_shipped], defines=[ship_order, quote_actor])
        if with_aggregate:
            services.add("counting", owns=[counter])
        return services

    return App(
        order_placed=order_placed,
        quote=quote_event,
        parcel_shipped=parcel_shipped,
        incremented=incremented_event,
        counter=counter,
        services=build(with_aggregate=False),
        es_services=build(with_aggregate=True),
    )


APP = declare(os.environ.get("TOOLING_APP_SUFFIX", "local"))
services = APP.services
es_services = APP.es_services
not_services = walnats.Events(APP.order_placed)
"""Not a Services registry: for the wrong-type APP test."""
