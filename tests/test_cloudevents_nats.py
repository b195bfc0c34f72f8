"""CloudEvents on the wire: binary and structured mode through a real server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import walnats
from tests.helpers import Order, actor_name, order_event


async def handle_one(
    url: str, event: walnats.Event[Order]
) -> list[tuple[Order, walnats.CloudEvent | None]]:
    seen: list[tuple[Order, walnats.CloudEvent | None]] = []

    async def handle(order: Order, ctx: walnats.Context[Order]) -> None:
        seen.append((order, ctx.cloud_event))

    async with walnats.Actors(walnats.Actor(actor_name(), event, handle)).connect(url) as conn:
        await conn.register()
        await asyncio.wait_for(conn.listen(burst=True), 10)
    return seen


async def test_cloudevents__binary_mode(nats_url: str) -> None:
    """With a source, events carry ce- headers; handlers read them as a CloudEvent."""
    event = order_event()
    async with walnats.Events(event).connect(nats_url, cloud_events_source="/shop/checkout") as c:
        await c.register()
        receipt = await c.emit(event, Order(1), uid="ce-1")
        stored = await c.jetstream.get_msg(event.name, receipt.sequence)
    assert stored.headers is not None
    assert stored.headers["ce-id"] == "ce-1"
    assert stored.headers["ce-source"] == "/shop/checkout"
    assert stored.headers["content-type"] == "application/json"
    [(order, ce)] = await handle_one(nats_url, event)
    assert order == Order(1)
    assert ce is not None
    assert (ce.id, ce.source, ce.type) == ("ce-1", "/shop/checkout", event.name)


async def test_cloudevents__structured_mode(nats_url: str) -> None:
    """Structured mode wraps the payload in JSON; actors unwrap it transparently."""
    event = order_event()
    ce = walnats.CloudEvent(
        id="evt-7",
        source="/billing",
        type="billing.order.v1",
        time=datetime(2026, 3, 1, 12, tzinfo=UTC),
        datacontenttype="application/json",
        extensions={"correlationid": "c-1"},
    )
    async with walnats.Events(event).connect(
        nats_url, cloud_events_source="/billing", structured=True
    ) as c:
        await c.register()
        receipt = await c.emit(event, Order(2), cloud_event=ce)
        stored = await c.jetstream.get_msg(event.name, receipt.sequence)
    assert receipt.msg_id == "evt-7"
    assert stored.data is not None
    assert b'"specversion":"1.0"' in stored.data.replace(b" ", b"")
    [(order, got)] = await handle_one(nats_url, event)
    assert order == Order(2)
    assert got is not None
    assert got.extensions == {"correlationid": "c-1"}
    assert got.time == ce.time


async def test_cloudevents__foreign_publisher(nats_url: str) -> None:
    """A Go-SDK style message (unencoded values, content-type only) is understood."""
    event = order_event()
    async with walnats.Events(event).connect(nats_url) as c:
        await c.register()
        await c.jetstream.publish(
            event.name,
            b'{"id": 3, "item": "pen"}',
            headers={
                "ce-specversion": "1.0",
                "ce-id": "go-1",
                "ce-source": "https://go.example/orders",
                "ce-type": "order.placed",
                "content-type": "application/json",
            },
        )
    [(order, ce)] = await handle_one(nats_url, event)
    assert order == Order(3, "pen")
    assert ce is not None
    assert ce.datacontenttype == "application/json"


async def test_cloudevents__malformed_structured_is_dead_lettered(nats_url: str) -> None:
    """A structured message missing required attributes goes to dead letters."""
    event = order_event()
    name = actor_name()
    async with walnats.Events(event).connect(nats_url) as c:
        await c.register()
        await c.jetstream.publish(
            event.name,
            b'{"specversion": "1.0", "data": {"id": 1}}',
            headers={"content-type": "application/cloudevents+json"},
        )

    async def handle(order: Order) -> None:
        raise AssertionError("must not be called")

    async with walnats.Actors(walnats.Actor(name, event, handle)).connect(nats_url) as conn:
        await conn.register()
        await asyncio.wait_for(conn.listen(burst=True), 10)
        [letter] = await walnats.DeadLetters(conn.client).list(name)
    assert letter.reason == "undecodable"
    assert letter.error_type == "walnats._errors.CloudEventError"
