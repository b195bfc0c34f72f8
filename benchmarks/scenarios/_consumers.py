"""Hand-written nats-py consumers shared by the consume, latency and memory scenarios."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import msgspec
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import TimeoutError as NatsTimeoutError

from .._bench import sink
from .._payload import OrderPlaced

__all__ = ["PullLoop", "decoder", "fetch_loop"]

_ACK = b"+ACK"


def decoder() -> Callable[[bytes], OrderPlaced]:
    """The decoder the raw references use (walnats uses the same msgspec decoder)."""
    return msgspec.json.Decoder(OrderPlaced).decode


async def fetch_loop(
    nc: Client,
    stream: str,
    consumer: str,
    n: int,
    *,
    batch: int,
    ack_sync: bool = False,
    on_order: Callable[[OrderPlaced], None] = sink,
    stop: asyncio.Event | None = None,
) -> int:
    """nats-py's helper path: ``fetch(batch)``, decode, ``ack()`` (or ``ack_sync()``).

    Handles *n* events, or with *stop* runs until it is set. Returns events handled.
    Never asks for more than is left, so the last fetch does not wait out its timeout.
    """
    psub = await nc.jetstream().pull_subscribe_bind(consumer, stream)
    decode = decoder()
    done = 0
    try:
        while done < n and not (stop is not None and stop.is_set()):
            try:
                msgs = await psub.fetch(batch=min(batch, n - done), timeout=1.0)
            except NatsTimeoutError:
                continue
            for msg in msgs:
                on_order(decode(msg.data))
                if ack_sync:
                    await msg.ack_sync()
                else:
                    await msg.ack()
            done += len(msgs)
    finally:
        await psub.unsubscribe()
    return done


class PullLoop:
    """The low-level pull consumer: a callback subscription on a private inbox plus
    explicit ``$JS.API.CONSUMER.MSG.NEXT`` requests kept in flight.

    Two requests of *batch* messages are outstanding at first; whenever the unfilled
    credit falls to one batch, another request goes out. Each message is decoded,
    handed to *on_order* and acked inline in the callback.
    """

    def __init__(
        self,
        nc: Client,
        stream: str,
        consumer: str,
        *,
        on_order: Callable[[OrderPlaced], None] = sink,
        batch: int = 256,
        expires: float = 5.0,
    ) -> None:
        self._nc = nc
        self._next = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}"
        self._request = json.dumps({"batch": batch, "expires": int(expires * 1e9)}).encode()
        self._batch = batch
        self._credit = 0
        self._on_order = on_order
        self._decode = decoder()
        self._inbox = nc.new_inbox()
        self._sub: Subscription | None = None
        self.handled = 0

    async def start(self) -> None:
        """Subscribe and send the first two pull requests."""
        self._sub = await self._nc.subscribe(
            self._inbox, cb=self._on_msg, pending_msgs_limit=-1, pending_bytes_limit=-1
        )
        await self._pull()
        await self._pull()

    async def stop(self) -> None:
        """Unsubscribe (outstanding requests simply expire on the server)."""
        if self._sub is not None:
            await self._sub.unsubscribe()
            self._sub = None

    async def _pull(self) -> None:
        self._credit += self._batch
        await self._nc.publish(self._next, self._request, reply=self._inbox)

    async def _on_msg(self, msg: Msg) -> None:
        if not msg.reply:  # a status: 408 request expired, 404 no messages, 409 ...
            pending = (msg.headers or {}).get("Nats-Pending-Messages")
            self._credit -= int(pending) if pending else self._batch
            if self._credit <= self._batch:
                await self._pull()
            return
        self._credit -= 1
        self._on_order(self._decode(msg.data))
        await self._nc.publish(msg.reply, _ACK)
        self.handled += 1
        if self._credit <= self._batch:
            await self._pull()
