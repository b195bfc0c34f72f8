"""The connection lifetime shared by ``Events.connect`` and ``Actors.connect``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from nats.aio.client import Client

from ._connection import open_connection
from ._inbox import ReplyInbox

__all__ = ["session"]


@asynccontextmanager
async def session(
    server: str | Sequence[str] | Client | None,
    *,
    close: bool,
    connect_timeout: float,
    options: dict[str, Any],
) -> AsyncIterator[tuple[Client, ReplyInbox]]:
    """Connect (or adopt a connected client), open the reply inbox, clean up on exit.

    With *close*, the connection is drained on exit: pending publishes and acks are
    flushed before it closes.
    """
    if isinstance(server, Client):
        nc = server
    else:
        nc = await open_connection(server, connect_timeout=connect_timeout, **options)
    inbox = ReplyInbox(nc)
    try:
        await inbox.start()
        yield nc, inbox
    finally:
        await inbox.stop()
        if close and not nc.is_closed:
            await nc.drain()
