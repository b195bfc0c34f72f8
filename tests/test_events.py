"""Publisher side: streams, emit, idempotency, batches, request/reply."""

from __future__ import annotations

import asyncio

import pytest
from nats.js.api import RetentionPolicy, StorageType

import walnats
from tests.helpers import Order, actor_name, order_event


async def test_register__creates_limits_stream(nats_url: str) -> None:
    """register() creates a limits-retention stream named after the event."""
    event = order_event(limits=walnats.Limits(age=3600, messages=1000), duplicate_window=30)
    async with walnats.Events(event).connect(nats_url) as conn:
        await conn.register()
        info = await conn.jetstream.stream_info(event.name)
    assert info.config.retention == RetentionPolicy.LIMITS
    assert info.config.subjects == [event.name, f"{event.name}.delayed.*"]
    assert info.config.max_age == 3600
    assert info.config.max_msgs == 1000
    assert info.config.duplicate_window == 30
    assert info.config.storage == StorageType.FILE


async def test_register__updates_changed_limits(nats_url: str) -> None:
    """A changed limit updates the stream; update=False reports the difference."""
    event = order_event()
    async with walnats.Events(event).connect(nats_url) as conn:
        await conn.register()
    changed = event.evolve(limits=walnats.Limits(messages=10))
    async with walnats.Events(changed).connect(nats_url) as conn:
        with pytest.raises(
            walnats.StreamConfigMismatch, match=r"max_msgs: server has -1, declared 10"
        ):
            await conn.register(update=False)
        await conn.register()
        info = await conn.jetstream.stream_info(event.name)
    assert info.config.max_msgs == 10


async def test_register__immutable_difference_is_clear(nats_url: str) -> None:
    """Storage cannot change in place: the error names it and says what to do."""
    event = order_event()
    async with walnats.Events(event).connect(nats_url) as conn:
        await conn.register()
    changed = event.evolve(storage="memory")
    async with walnats.Events(changed).connect(nats_url) as conn:
        with pytest.raises(walnats.StreamConfigMismatch, match=r"storage: server has 'file'"):
            await conn.register()


async def test_register__create_false_missing_stream(nats_url: str) -> None:
    """create=False on a missing stream raises StreamNotFound."""
    event = order_event()
    async with walnats.Events(event).connect(nats_url) as conn:
        with pytest.raises(walnats.StreamNotFound, match="does not exist and create=False"):
            await conn.register(create=False)


async def test_emit__returns_after_store(nats_url: str) -> None:
    """emit() returns the stream and sequence the server stored the event at."""
    event = order_event()
    async with walnats.Events(event).connect(nats_url) as conn:
        await conn.register()
        first = await conn.emit(event, Order(1))
        second = await conn.emit(event, Order(2))
        stored = await conn.jetstream.get_msg(event.name, second.sequence)
    assert (first.stream, first.sequence, second.sequence) == (event.name, 1, 2)
    assert stored.data == b'{"id":2,"item":"book"}'
    assert stored.headers is not None
    assert stored.headers["Nats-Msg-Id"] == second.msg_id


async def test_emit__same_uid_stored_once(nats_url: str) -> None:
    """A re-emit with the same uid inside the window is reported as a duplicate."""
    event = order_event()
    async with walnats.Events(event).connect(nats_url) as conn:
        await conn.register()
        first = await conn.emit(event, Order(1), uid="order-1-placed")
        again = await conn.emit(event, Order(1), uid="order-1-placed")
        info = await conn.jetstream.stream_info(event.name)
    assert not first.duplicate
    assert again.duplicate
    assert again.sequence == first.sequence
    assert info.state.messages == 1


async def test_emit__without_stream_is_an_error(nats_url: str) -> None:
    """Emitting before anyone registered the stream fails loudly; nothing is lost silently."""
    event = order_event()
    async with walnats.Events(event).connect(nats_url) as conn:
        with pytest.raises(walnats.StreamNotFound, match=r"Register the event first"):
            await conn.emit(event, Order(1))


async def test_emit__wrong_payload_type(nats_url: str) -> None:
    """A payload of the wrong type is rejected before it reaches the server."""
    event = order_event()
    async with walnats.Events(event).connect(nats_url) as conn:
        await conn.register()
        with pytest.raises(walnats.EncodeError, match="expected Order"):
            await conn.emit(event, "not an order")  # type: ignore[arg-type]


async def test_emit_many__pipelined_in_order(nats_url: str) -> None:
    """emit_many stores every event and returns receipts in order."""
    event = order_event()
    async with walnats.Events(event).connect(nats_url) as conn:
        await conn.register()
        receipts = await conn.emit_many(event, [Order(i) for i in range(2000)], max_in_flight=256)
        info = await conn.jetstream.stream_info(event.name)
    assert [r.sequence for r in receipts] == list(range(1, 2001))
    assert info.state.messages == 2000


async def test_emit_many__uids_deduplicate(nats_url: str) -> None:
    """emit_many with uids is idempotent as a whole."""
    event = order_event()
    uids = [f"u{i}" for i in range(50)]
    async with walnats.Events(event).connect(nats_url) as conn:
        await conn.register()
        await conn.emit_many(event, [Order(i) for i in range(50)], uids=uids)
        again = await conn.emit_many(event, [Order(i) for i in range(50)], uids=uids)
        info = await conn.jetstream.stream_info(event.name)
    assert all(r.duplicate for r in again)
    assert info.state.messages == 50


async def test_emit__middleware_adds_headers(nats_url: str) -> None:
    """An on_emit middleware sees the event and can add headers."""
    event = order_event()
    seen: list[str] = []

    class Tag(walnats.Middleware):
        async def on_emit(self, ctx: walnats.EmitContext) -> None:
            seen.append(ctx.event)
            ctx.headers["X-Tag"] = "yes"

    async with walnats.Events(event).connect(nats_url, middlewares=[Tag()]) as conn:
        await conn.register()
        receipt = await conn.emit(event, Order(1))
        stored = await conn.jetstream.get_msg(event.name, receipt.sequence)
    assert seen == [event.name]
    assert stored.headers is not None
    assert stored.headers["X-Tag"] == "yes"


async def test_request__gets_response(nats_url: str) -> None:
    """request() returns what the actor's handler returned."""
    event = order_event().with_response(str)

    async def price(order: Order) -> str:
        return f"order {order.id} costs 10"

    actors = walnats.Actors(walnats.Actor(actor_name(), event, price))
    async with (
        walnats.Events(event).connect(nats_url) as pub,
        actors.connect(nats_url) as sub,
    ):
        await pub.register()
        await sub.register()
        task = asyncio.create_task(sub.listen())
        try:
            answer = await pub.request(event, Order(7), timeout=5)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert answer == "order 7 costs 10"


async def test_request__times_out_cleanly(nats_url: str) -> None:
    """Without a responder, request() raises RequestTimeout within the timeout."""
    event = order_event().with_response(int)
    async with walnats.Events(event).connect(nats_url) as conn:
        await conn.register()
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(walnats.RequestTimeout, match="stays in the stream"):
            await conn.request(event, Order(1), timeout=0.3)
        assert loop.time() - started < 2


async def test_request__failure_is_reported(nats_url: str) -> None:
    """When the responder gives up, the requester gets ResponseError, not a timeout."""
    event = order_event().with_response(int)

    async def broken(order: Order) -> int:
        raise ValueError("no price for this item")

    actor = walnats.Actor(actor_name(), event, broken, max_attempts=1)
    async with (
        walnats.Events(event).connect(nats_url) as pub,
        walnats.Actors(actor).connect(nats_url) as sub,
    ):
        await pub.register()
        await sub.register()
        task = asyncio.create_task(sub.listen())
        try:
            with pytest.raises(walnats.ResponseError, match="no price for this item"):
                await pub.request(event, Order(1), timeout=5)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_request__expired_request_is_skipped(nats_url: str) -> None:
    """With expire=True a request nobody answered in time is not handled later."""
    event = order_event().with_response(int)
    calls: list[int] = []

    async def answer(order: Order) -> int:
        calls.append(order.id)
        return 1

    actor = walnats.Actor(actor_name(), event, answer)
    async with walnats.Events(event).connect(nats_url) as pub:
        await pub.register()
        with pytest.raises(walnats.RequestTimeout, match="expired"):
            await pub.request(event, Order(1), timeout=0.2, expire=True)
    async with walnats.Actors(actor).connect(nats_url) as sub:
        await sub.register()
        await asyncio.wait_for(sub.listen(burst=True), 10)
    assert calls == []


async def test_register__matches_after_create(nats_url: str) -> None:
    """Right after register() the server's stream has no difference from the declaration."""
    from walnats._streams import spec_for_event

    event = order_event(limits=walnats.Limits(age=100, messages=5), duplicate_window=30)
    async with walnats.Events(event).connect(nats_url) as conn:
        await conn.register()
        info = await conn.jetstream.stream_info(event.name)
    assert spec_for_event(event, schedules=True).differences(info.config) == []


async def test_emit_many__unconfirmed_events_are_reported_per_message(nats_url: str) -> None:
    """Without a stream nothing is stored: the error lists every message's failure."""
    event = order_event()
    async with walnats.Events(event).connect(nats_url) as conn:
        with pytest.raises(
            walnats.EmitBatchError, match=r"^3 of 3 events .* not confirmed"
        ) as info:
            await conn.emit_many(event, [Order(i) for i in range(3)], uids=["a", "b", "c"])
    assert len(info.value.results) == 3
    assert all(isinstance(r, walnats.StreamNotFound) for r in info.value.results)
    assert isinstance(info.value, walnats.EmitError)
