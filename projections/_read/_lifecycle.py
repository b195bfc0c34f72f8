"""Start, run until cancelled, stop: the lifecycle both runners share."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

__all__ = ["Lifecycle"]


class Lifecycle:
    """A runner used with ``async with`` or ``await runner.run()``.

    Subclasses implement :meth:`start`, :meth:`stop` and :meth:`_until_done` (what
    :meth:`run` waits for between the two).
    """

    async def start(self) -> None:
        """Begin work; returns once it runs in the background."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Finish or hand back the work under way, and release what start opened."""
        raise NotImplementedError

    async def _until_done(self) -> None:
        raise NotImplementedError

    async def run(self) -> None:
        """Start, then run until cancelled (or until the work ends), and stop gracefully."""
        starting = asyncio.ensure_future(self.start())
        try:
            await asyncio.shield(starting)
            await self._until_done()
        finally:
            await asyncio.shield(self._stop_when_started(starting))

    async def _stop_when_started(self, starting: asyncio.Future[None]) -> None:
        # A start under way finishes first: a query cut in half by a cancel strands
        # its database connection (and, with aiosqlite, the process's exit).
        with contextlib.suppress(Exception):
            await starting
        await self.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
