"""One wildcard reply subscription per connection, for PubAcks and responses.

``js.publish`` costs a ``wait_for`` and a uuid per event; ``publish_async`` adds a
semaphore. Publishing with a reply subject under one long-lived wildcard inbox and
resolving futures from a single callback keeps many acks in flight for the price of a
dict insert and a dict pop per event.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.aio.subscription import Subscription

    from ._events._batch import AckBatch

__all__ = ["ReplyInbox"]


class ReplyInbox:
    """Routes replies on ``<prefix>.<token>`` to the future waiting for that token."""

    __slots__ = ("_futures", "_loop", "_nc", "_next", "_prefix", "_prefix_len", "_sub")

    def __init__(self, nc: Client) -> None:
        self._nc = nc
        self._futures: dict[str, asyncio.Future[Msg] | tuple[AckBatch, int]] = {}
        self._next = 0
        self._prefix = ""
        self._prefix_len = 0
        self._sub: Subscription | None = None
        self._loop = asyncio.get_running_loop()

    async def start(self) -> None:
        """Subscribe to the inbox; call once before :meth:`expect`."""
        self._prefix = self._nc.new_inbox() + "."
        self._prefix_len = len(self._prefix)
        # The pending limits are raised: a burst of PubAcks must never be dropped as a
        # "slow consumer", because a dropped ack would look like a lost event.
        self._sub = await self._nc.subscribe(
            self._prefix + "*",
            cb=self._on_reply,
            pending_msgs_limit=-1,
            pending_bytes_limit=-1,
        )

    async def stop(self) -> None:
        """Unsubscribe and fail every pending future."""
        for waiter in self._futures.values():
            if isinstance(waiter, asyncio.Future) and not waiter.done():
                waiter.cancel()
        self._futures.clear()
        if self._sub is not None and not self._nc.is_closed:
            await self._sub.unsubscribe()
        self._sub = None

    def expect(self) -> tuple[str, asyncio.Future[Msg]]:
        """A fresh reply subject and the future its reply will resolve."""
        self._next += 1
        token = str(self._next)
        fut: asyncio.Future[Msg] = self._loop.create_future()
        self._futures[token] = fut
        return self._prefix + token, fut

    def expect_in(self, batch: AckBatch, index: int) -> str:
        """A fresh reply subject whose reply goes into slot *index* of *batch*."""
        self._next += 1
        token = str(self._next)
        self._futures[token] = (batch, index)
        return self._prefix + token

    def forget(self, reply: str) -> None:
        """Stop waiting for *reply* (after a timeout or a failed publish)."""
        self._futures.pop(reply[self._prefix_len :], None)

    async def _on_reply(self, msg: Msg) -> None:
        waiter = self._futures.pop(msg.subject[self._prefix_len :], None)
        if waiter is None:
            return
        if type(waiter) is tuple:
            waiter[0].settle(waiter[1], msg)
        elif not waiter.done():  # type: ignore[union-attr]
            waiter.set_result(msg)  # type: ignore[union-attr]
