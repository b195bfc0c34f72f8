"""Job slots shared by the actors of one worker process."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ._actor import Priority

__all__ = ["Capacity"]


class _Puller(Protocol):
    priority: Priority

    async def maybe_pull(self) -> None: ...


class Capacity:
    """Counts slots taken by running jobs, queued messages and open pull requests.

    A slot is taken when a pull request asks for a message, not when the message
    arrives, so a worker never has more messages than it can run: nothing waits
    unacknowledged in a local buffer while its ``ack_wait`` runs out. When slots
    free up, actors with a higher priority pull first.
    """

    __slots__ = ("limit", "pullers", "used")

    def __init__(self, limit: int | None) -> None:
        self.limit = limit if limit is not None else 1 << 30
        self.used = 0
        self.pullers: list[_Puller] = []

    def add(self, puller: _Puller) -> None:
        """Register an actor's puller; pullers are kept in priority order."""
        self.pullers.append(puller)
        self.pullers.sort(key=lambda p: p.priority)

    def free(self) -> int:
        """Slots nobody holds."""
        return self.limit - self.used

    async def release(self, count: int) -> None:
        """Give back *count* slots and let actors pull, highest priority first."""
        self.used -= count
        for puller in self.pullers:
            if self.used >= self.limit:
                return
            await puller.maybe_pull()
