"""Acknowledgements of a pipelined batch, collected without a future per event."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nats.aio.msg import Msg

__all__ = ["AckBatch"]


class AckBatch:
    """Slots for the PubAcks of one ``emit_many`` call.

    The reply inbox writes each ack into its slot and wakes the publisher only when
    the number of outstanding acks falls to the level it waits for, so a batch of
    thousands of events costs one future per wait instead of one per event.
    """

    __slots__ = ("_loop", "_target", "_waiter", "outstanding", "replies")

    def __init__(self, size: int) -> None:
        self.replies: list[Msg | None] = [None] * size
        self.outstanding = 0
        self._waiter: asyncio.Future[None] | None = None
        self._target = 0
        self._loop = asyncio.get_running_loop()

    def sent(self) -> None:
        """Count one more event waiting for its ack."""
        self.outstanding += 1

    def settle(self, index: int, msg: Msg) -> None:
        """Called by the reply inbox when the ack of event *index* arrives."""
        if self.replies[index] is None:
            self.replies[index] = msg
            self.outstanding -= 1
        waiter = self._waiter
        if waiter is not None and self.outstanding <= self._target and not waiter.done():
            waiter.set_result(None)

    async def wait_until(self, outstanding: int, timeout: float) -> bool:
        """Wait until at most *outstanding* acks are missing; ``False`` on a stall.

        The timeout restarts whenever an ack arrives, so a long batch on a slow
        server is not cut off as long as it makes progress.
        """
        while self.outstanding > outstanding:
            before = self.outstanding
            self._target = outstanding
            self._waiter = self._loop.create_future()
            try:
                await asyncio.wait_for(self._waiter, timeout)
            except TimeoutError:
                if self.outstanding == before:
                    return False
            finally:
                self._waiter = None
        return True
