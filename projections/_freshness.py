"""Read-your-writes: wait until a projection has applied what a save stored.

The waiting side belongs to the projection runner (next issue); it implements
:class:`SupportsWaitFor`. This module fixes the contract and the caller's helper so
that commands written today keep working when projections arrive.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

import walnats

from ._errors import ProjectionLagging
from ._results import Executed, Saved

__all__ = ["SupportsWaitFor", "wait_for_projection"]


@runtime_checkable
class SupportsWaitFor(Protocol):
    """A projection that can tell when it has applied a stream position.

    Implemented by the projection runner. A projection reads one or more streams;
    a position is ``(stream, sequence)``, as returned in :class:`Saved`.
    """

    @property
    def name(self) -> str:
        """The projection's name, for error messages."""
        ...

    async def wait_for(self, stream: str, sequence: int, *, timeout: float) -> bool:
        """Wait until the checkpoint of *stream* is at or past *sequence*.

        Returns ``True`` once it is, ``False`` when *timeout* seconds passed first.
        Must return at once when the projection is already there, and must not
        raise on timeout (the caller decides).
        """
        ...


async def wait_for_projection(
    projection: SupportsWaitFor,
    written: Saved | Executed[Any] | tuple[str, int],
    *,
    timeout: float = 5.0,
    on_timeout: Literal["raise", "stale"] = "raise",
) -> bool:
    """Wait until *projection* has applied the events of a save, to read your own writes.

    ::

        done = await orders.execute("o-1", lambda o: pay(o, 10))
        await projections.wait_for_projection(ORDER_SUMMARY_RUNNER, done)
        summary = await session.get(OrderSummary, "o-1")   # includes the payment

    Args:
        written: a :class:`Saved`, an :class:`Executed` (for a command that stored
            nothing: the state it decided on), or a ``(stream, sequence)`` pair.
        on_timeout: ``"raise"`` raises :class:`ProjectionLagging`; ``"stale"``
            returns ``False`` so the caller can serve a possibly stale read.

    Returns:
        ``True`` when the projection caught up, ``False`` when stale (only with
        ``on_timeout="stale"``).
    """
    if on_timeout not in ("raise", "stale"):
        raise walnats.ConfigError(f"on_timeout must be 'raise' or 'stale', got {on_timeout!r}")
    if isinstance(written, Saved | Executed):
        stream, sequence = written.stream, written.sequence
    else:
        stream, sequence = written
    if sequence <= 0:
        return True
    if await projection.wait_for(stream, sequence, timeout=timeout):
        return True
    if on_timeout == "stale":
        return False
    raise ProjectionLagging(projection.name, stream, sequence, timeout)
