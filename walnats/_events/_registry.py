"""The registry of events a service emits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from nats.aio.client import Client

from .._connection import DEFAULT_CONNECT_TIMEOUT
from .._errors import ConfigError
from .._session import session
from ._connected import ConnectedEvents
from ._event import BaseEvent

__all__ = ["Events"]


class Events:
    """The events one service emits: the publisher side of walnats.

    ::

        events = walnats.Events(ORDER_PLACED, ORDER_PAID)
        async with events.connect() as conn:
            await conn.register()
            await conn.emit(ORDER_PLACED, OrderPlaced(id=1))
    """

    __slots__ = ("_events",)

    def __init__(self, *events: BaseEvent[Any, Any]) -> None:
        by_name: dict[str, BaseEvent[Any, Any]] = {}
        for event in events:
            if not isinstance(event, BaseEvent):
                raise ConfigError(f"Events() takes walnats.Event objects, got {event!r}")
            other = by_name.get(event.name)
            if other is not None and other != event:
                raise ConfigError(
                    f"two different events are named {event.name!r}; declare each event "
                    f"once and share the declaration, or rename one"
                )
            by_name[event.name] = event
        self._events = by_name

    def get(self, name: str) -> BaseEvent[Any, Any] | None:
        """The event called *name*, or ``None``."""
        return self._events.get(name)

    def __iter__(self) -> Iterator[BaseEvent[Any, Any]]:
        return iter(self._events.values())

    def __len__(self) -> int:
        return len(self._events)

    def __contains__(self, event: object) -> bool:
        return isinstance(event, BaseEvent) and self._events.get(event.name) == event

    def __add__(self, other: Events) -> Events:
        return Events(*self, *other)

    def __repr__(self) -> str:
        return f"Events({', '.join(repr(name) for name in self._events)})"

    @asynccontextmanager
    async def connect(
        self,
        server: str | Sequence[str] | Client | None = None,
        *,
        close: bool = True,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        middlewares: Sequence[object] = (),
        cloud_events_source: str | None = None,
        structured: bool = False,
        **options: Any,
    ) -> AsyncIterator[ConnectedEvents]:
        """Connect to NATS for emitting.

        Args:
            server: URL(s) of the server, an already connected ``nats.NATS`` client,
                or ``None`` for ``$NATS_URL`` (default ``nats://127.0.0.1:4222``).
            close: drain and close the connection on exit.
            connect_timeout: seconds before a dead server raises ``ConnectionFailed``.
            middlewares: objects with an ``on_emit`` hook.
            cloud_events_source: when set, every event carries CloudEvents 1.0
                attributes (binary mode ``ce-`` headers) with this ``source``.
            structured: send CloudEvents in structured mode (a JSON envelope) instead,
                for consumers that cannot read headers.
            options: passed to ``nats.connect`` (credentials, TLS, ...).
        """
        async with session(
            server, close=close, connect_timeout=connect_timeout, options=options
        ) as (nc, inbox):
            yield ConnectedEvents(
                nc,
                nc.jetstream(),
                self,
                inbox,
                tuple(middlewares),
                cloud_events_source=cloud_events_source,
                structured=structured,
            )
