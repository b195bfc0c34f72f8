"""Aggregate events are ordinary walnats events: actors subscribe to one event type."""

from __future__ import annotations

from es_helpers import Deposited, Opened, account_kit, deposit, open_store

import projections
import walnats
from walnats.testing import unique_name


async def test_actors__receive_aggregate_events_filtered_by_type(nats_url: str) -> None:
    """An actor on 'deposited' gets each deposit with its aggregate id, and no 'opened'."""
    kit = account_kit()
    received: list[tuple[str | None, Deposited]] = []

    async def on_deposit(event: Deposited, ctx: walnats.Context[Deposited]) -> None:
        received.append((ctx.key, event))

    actor = walnats.Actor(unique_name("audit"), kit.deposited, on_deposit)
    async with open_store(nats_url, kit) as store:
        await store.execute("a-1", lambda s: [projections.new(kit.opened, Opened("ann"))])
        await store.execute("a-1", deposit(kit, 5))
        await store.execute("b-2", deposit(kit, 7, times=2))
        async with walnats.Actors(actor).connect(nats_url) as conn:
            await conn.register()
            await conn.listen(burst=True)
            consumer = await conn.client.jetstream().consumer_info(kit.name, actor.name)
    assert received == [("a-1", Deposited(5)), ("b-2", Deposited(7)), ("b-2", Deposited(7))]
    assert consumer.config.filter_subject == f"{kit.name}.*.deposited"
