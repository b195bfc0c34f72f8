"""One projection partition's consumer on one stream, read strictly in order.

A durable pull consumer, named after the projection, so every NATS tool and
``walnats status`` sees its pending count. It is (re)created at ``checkpoint + 1``
whenever a worker takes over (``deliver_policy=by_start_sequence``) and then read
like an ordered consumer: one puller, ``AckPolicy.ALL`` with one ack per committed
batch, and a check that each message is the next one the server delivered (consumer
sequence + 1, first delivery). Anything else (a redelivery after ``ack_wait``, a
message lost in a reconnect, the consumer deleted or re-created by someone else)
marks the feed *broken*; the worker then re-creates it at its checkpoint + 1. Order
never depends on timing, and the checkpoint in SQL stays the only source of truth.

Pulling speaks the JetStream protocol directly, as the actor runner does: a callback
subscription on a private inbox receives the replies of ``$JS.API.CONSUMER.MSG.NEXT``
requests kept in flight, up to a window of buffered messages.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

import walnats

from ._delivery import Delivery, next_matching

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.aio.subscription import Subscription
    from nats.js import JetStreamContext

__all__ = ["StreamFeed"]

logger = logging.getLogger("walnats.projections")

_PULL_EXPIRES = 5.0
_WATCHDOG = _PULL_EXPIRES + 5.0
ACK_WAIT = 60.0
"""Seconds before the server redelivers an unacknowledged message (which breaks the
feed and re-creates it); batches normally commit in milliseconds."""


class StreamFeed:
    """Reads one stream in order for one projection partition."""

    def __init__(
        self,
        nc: Client,
        js: JetStreamContext,
        stream: str,
        consumer: str,
        filters: list[str],
        *,
        window: int,
        description: str,
        on_change: Callable[[], None],
    ) -> None:
        self.stream = stream
        self.consumer = consumer
        self.filters = filters
        self._nc = nc
        self._js = js
        self._window = max(window, 2)
        self._description = description
        self._on_change = on_change
        self._next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}"
        self._sub: Subscription | None = None
        self._generation = 0
        self._inbox = ""
        self.buffer: deque[Delivery] = deque()
        self._credit = 0
        self._last_cseq = 0
        self._start = 1
        self._last_seen = time.monotonic()
        self.broken: str | None = None
        """Why the feed must be re-created before more is read from it, or ``None``."""
        self.unverified = False
        """The first delivery skipped ahead of the start: check no event was missed."""
        self.total = 0
        """Matching events from the start when the feed was opened (for progress)."""
        self.taken = 0
        """Messages taken from this feed since it was opened."""
        self.committed = 0
        """Messages from this feed committed since it was opened."""

    # ------------------------------------------------------------------ lifecycle

    async def open(self, start: int) -> None:
        """(Re)create the consumer at stream sequence *start* and start pulling."""
        await self._unsubscribe()
        self.buffer.clear()
        self._credit = 0
        self._last_cseq = 0
        self._start = start
        self.broken = None
        self.unverified = False
        self.taken = 0
        self.committed = 0
        with contextlib.suppress(NotFoundError):
            await self._js.delete_consumer(self.stream, self.consumer)
        config = ConsumerConfig(
            durable_name=self.consumer,
            name=self.consumer,
            description=self._description,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=start,
            ack_policy=AckPolicy.ALL,
            ack_wait=ACK_WAIT,
            max_deliver=-1,
            max_ack_pending=max(self._window * 4, 1000),
            max_waiting=8,
        )
        if len(self.filters) == 1:
            config.filter_subject = self.filters[0]
        else:
            config.filter_subjects = list(self.filters)
        try:
            info = await self._js.add_consumer(self.stream, config)
        except NotFoundError:
            raise walnats.StreamNotFound(
                f"consumer {self.consumer!r}: stream {self.stream!r} does not exist yet. "
                f"Register the events (or the aggregate) on the publisher side first."
            ) from None
        self.total = int(info.num_pending or 0)
        self._generation += 1
        generation = self._generation

        async def on_msg(msg: Msg) -> None:
            if generation == self._generation:  # never a late reply of an older consumer
                if msg.reply:
                    self._on_msg(msg)
                else:  # a status: the request ended (or a heartbeat); keep one pending
                    self._on_status(msg)
                    await self.pull()

        self._inbox = self._nc.new_inbox()
        self._sub = await self._nc.subscribe(
            self._inbox, cb=on_msg, pending_msgs_limit=-1, pending_bytes_limit=-1
        )
        await self.pull()

    async def close(self) -> None:
        """Stop receiving; the durable consumer stays (it is observable, and cheap)."""
        await self._unsubscribe()
        self.buffer.clear()
        self._credit = 0

    async def _unsubscribe(self) -> None:
        self._generation += 1
        sub, self._sub = self._sub, None
        if sub is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    # ------------------------------------------------------------------ pulling

    async def pull(self) -> None:
        """Ask for more messages while buffered + requested stays under the window."""
        if self._sub is None or self.broken is not None or self._nc.is_closed:
            return
        want = self._window - len(self.buffer) - self._credit
        if want < self._window // 2:
            return
        self._credit += want
        self._last_seen = time.monotonic()
        request = {"batch": want, "expires": int(_PULL_EXPIRES * 1e9)}
        try:
            await self._nc.publish(
                self._next_subject, json.dumps(request).encode(), reply=self._inbox
            )
        except Exception:
            self._credit -= want
            logger.debug("pull request for %s failed", self.consumer, exc_info=True)

    async def watch(self) -> None:
        """Recover pull requests lost in a reconnect (called periodically)."""
        if self._credit > 0 and time.monotonic() - self._last_seen > _WATCHDOG:
            self._credit = 0
        await self.pull()

    def _on_msg(self, msg: Msg) -> None:
        self._last_seen = time.monotonic()
        if self._credit > 0:
            self._credit -= 1
        if self.broken is not None:
            return
        tokens = msg.reply.split(".")
        if len(tokens) >= 12:  # $JS.ACK.<domain>.<account hash>.<stream>...
            tokens = tokens[:2] + tokens[4:]
        try:
            delivered, sequence, cseq = int(tokens[4]), int(tokens[5]), int(tokens[6])
            ts, pending = int(tokens[7]), int(tokens[8])
        except (IndexError, ValueError):
            self._break(f"unexpected reply subject {msg.reply!r}")
            return
        if delivered != 1:
            self._break(f"{self.stream} sequence {sequence} was redelivered")
            return
        if cseq != self._last_cseq + 1:
            self._break(f"delivery {cseq} after {self._last_cseq}: messages were lost")
            return
        if self._last_cseq == 0 and sequence != self._start:
            self.unverified = True
        self._last_cseq = cseq
        self.buffer.append(Delivery(self.stream, msg, sequence, ts, pending))
        self._on_change()

    def _on_status(self, msg: Msg) -> None:
        self._last_seen = time.monotonic()
        headers = msg.headers or {}
        status = headers.get("Status", "")
        if status == "100":
            return
        if status in ("404", "408"):
            pending = headers.get("Nats-Pending-Messages")
            self._credit = max(0, self._credit - int(pending)) if pending else 0
        elif status == "409":
            description = next(
                (str(v) for k, v in headers.items() if str(k).lower().endswith("description")),
                "",
            )
            self._credit = 0
            if "deleted" in description.lower():
                self._break(f"consumer {self.consumer!r} was deleted ({description})")
                return
            logger.debug("consumer %s: pull interrupted: %s", self.consumer, description)
        self._on_change()

    def _break(self, reason: str) -> None:
        if self.broken is None:
            self.broken = reason
            self.buffer.clear()
            self._on_change()

    # ------------------------------------------------------------------ consuming

    def take(self) -> Delivery:
        """Remove and return the oldest buffered message."""
        self.taken += 1
        return self.buffer.popleft()

    async def verify_first(self) -> None:
        """After a first delivery beyond the start, check that none matched in between.

        A filtered consumer legitimately skips other subjects, but a consumer someone
        else re-created at a later sequence would skip events silently.
        """
        if not self.unverified or not self.buffer:
            self.unverified = False
            return
        first = self.buffer[0].sequence
        expected = await next_matching(self._js, self.stream, self.filters, self._start)
        self.unverified = False
        if expected is not None and expected < first:
            self._break(
                f"the consumer skipped from {self._start} to {first}: it was re-created "
                f"by another worker"
            )

    async def ack(self, delivery: Delivery) -> None:
        """Acknowledge *delivery* and everything before it (``AckPolicy.ALL``)."""
        if delivery.reply and not self._nc.is_closed:
            try:
                await self._nc.publish(delivery.reply, b"+ACK")
            except Exception:
                logger.debug("ack for %s failed", self.consumer, exc_info=True)
