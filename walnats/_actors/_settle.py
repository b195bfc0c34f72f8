"""Telling the server what became of a message: ack, nak with a delay, term, progress."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg

    from .._inbox import ReplyInbox

__all__ = ["ACK", "NAK", "TERM", "WPI", "Settler"]

logger = logging.getLogger("walnats")

ACK = b"+ACK"
NAK = b"-NAK"
TERM = b"+TERM"
WPI = b"+WPI"
_ACK_SYNC_TIMEOUT = 5.0


class Settler:
    """Publishes the JetStream acknowledgement verbs of one actor's messages.

    A failed publish is logged, never raised: the server redelivers an unsettled
    message after ``ack_wait``, which is the safe outcome.
    """

    __slots__ = ("_actor", "_inbox", "_loop", "_nc")

    def __init__(self, nc: Client, inbox: ReplyInbox, actor: str) -> None:
        self._nc = nc
        self._inbox = inbox
        self._actor = actor
        self._loop = asyncio.get_running_loop()

    async def settle(self, msg: Msg, verb: bytes) -> None:
        """Send *verb* (``ACK``, ``NAK``, ``TERM``, ``WPI``) for *msg*."""
        try:
            await self._nc.publish(msg.reply, verb)
        except Exception:
            logger.debug("actor %s: %s failed", self._actor, verb, exc_info=True)

    async def nak(self, msg: Msg, delay: float) -> None:
        """Return *msg* to the server, redelivered after *delay* seconds."""
        verb = NAK if delay <= 0 else b'-NAK {"delay": %d}' % int(delay * 1e9)
        await self.settle(msg, verb)

    async def ack_sync(self, msg: Msg) -> None:
        """Acknowledge *msg* and wait until the server confirms it (double ack)."""
        reply, fut = self._inbox.expect()
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            fut.cancel()

        # A timer instead of asyncio.wait_for: half the cost on this hot path.
        timer = self._loop.call_later(_ACK_SYNC_TIMEOUT, expire)
        try:
            await self._nc.publish(msg.reply, ACK, reply=reply)
            await fut
        except asyncio.CancelledError:
            if not expired:
                raise  # the worker is stopping
            logger.warning("actor %s: ack not confirmed by the server", self._actor)
        except Exception:  # noqa: BLE001 - unconfirmed: the server may redeliver it
            logger.warning("actor %s: ack not confirmed by the server", self._actor)
        finally:
            timer.cancel()
            self._inbox.forget(reply)

    async def publish_quietly(
        self, subject: str, data: bytes, headers: dict[str, str] | None
    ) -> None:
        """Publish a reply; a lost reply only makes the requester time out."""
        try:
            await self._nc.publish(subject, data, headers=headers)
        except Exception:
            logger.debug("actor %s: reply to %s failed", self._actor, subject, exc_info=True)
