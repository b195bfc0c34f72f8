"""The registry of actors a service runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from nats.aio.client import Client

from .._connection import DEFAULT_CONNECT_TIMEOUT
from .._errors import ConfigError
from .._session import session
from ._actor import Actor
from ._connected import ConnectedActors

__all__ = ["Actors"]


class Actors:
    """The actors one service runs: the subscriber side of walnats.

    ::

        actors = walnats.Actors(SEND_EMAIL, SHIP_ORDER)
        async with actors.connect() as conn:
            await conn.register()
            await conn.listen()
    """

    __slots__ = ("_actors",)

    def __init__(self, *actors: Actor[Any, Any]) -> None:
        seen: dict[str, Actor[Any, Any]] = {}
        for actor in actors:
            if not isinstance(actor, Actor):
                raise ConfigError(f"Actors() takes walnats.Actor objects, got {actor!r}")
            if actor.name in seen and seen[actor.name] != actor:
                raise ConfigError(
                    f"two different actors are named {actor.name!r}; actor names are "
                    f"consumer names and must be unique"
                )
            seen[actor.name] = actor
        self._actors = seen

    def get(self, name: str) -> Actor[Any, Any] | None:
        """The actor called *name*, or ``None``."""
        return self._actors.get(name)

    def __iter__(self) -> Iterator[Actor[Any, Any]]:
        return iter(self._actors.values())

    def __len__(self) -> int:
        return len(self._actors)

    def __add__(self, other: Actors) -> Actors:
        return Actors(*self, *other)

    def __repr__(self) -> str:
        return f"Actors({', '.join(repr(name) for name in self._actors)})"

    @asynccontextmanager
    async def connect(
        self,
        server: str | Sequence[str] | Client | None = None,
        *,
        close: bool = True,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        **options: Any,
    ) -> AsyncIterator[ConnectedActors]:
        """Connect to NATS for running actors (same arguments as ``Events.connect``)."""
        async with session(
            server, close=close, connect_timeout=connect_timeout, options=options
        ) as (nc, inbox):
            yield ConnectedActors(nc, nc.jetstream(), self, inbox)
