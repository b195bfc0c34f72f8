"""Reactor declarations: side effects behind an idempotency ledger.

A reactor runs like an actor (one durable consumer, at-least-once, the actor's retries
and dead letters), plus two guarantees:

* **effectively once**: before its handler runs, the event id is recorded in the
  ledger in the same transaction as the handler's own database writes; an event whose
  id is already there is skipped. Writes through ``ctx.session`` (an outbox row)
  therefore happen exactly once; an external call (an email) at least once, and
  again only if the process dies between the call and the commit.
* **no re-firing on replay**: events up to the reactor's *horizon* are history. A new
  reactor's horizon is the end of the stream when it is first registered (it does not
  email for last year's orders), and :func:`rewind_reactor` moves it to the end of the
  stream before re-reading; history is skipped, or handled with ``ctx.replaying`` set
  (``replay="run"``) so the handler can rebuild state without side effects.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import sqlalchemy as sa

import walnats

from ._errors import ProjectionError
from ._projection import table_of

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["Reactor", "ReactorContext"]

T = TypeVar("T")
E = TypeVar("E")

_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

DEFAULT_REACTOR_RETRY = walnats.RetryPolicy(max_attempts=8, initial=0.5, maximum=60.0)


class ReactorContext(Generic[T]):
    """What a reactor's handler gets besides the payload: the event, a session, emit."""

    __slots__ = ("context", "reactor", "replaying", "session")

    def __init__(
        self,
        reactor: str,
        context: walnats.Context[T],
        session: AsyncSession,
        *,
        replaying: bool,
    ) -> None:
        self.reactor = reactor
        """The reactor's name."""
        self.context = context
        """The walnats delivery context (attempt, headers, CloudEvents, ...)."""
        self.session = session
        """A session in the ledger's transaction: its writes commit exactly once,
        together with the ledger row (an outbox table, a "sent" flag)."""
        self.replaying = replaying
        """``True`` for history (at or before the horizon) with ``replay="run"``:
        rebuild state, but send nothing. :meth:`emit` refuses to run then."""

    @property
    def event_id(self) -> str:
        """The event's id: the ledger key."""
        return event_key(self.context)

    @property
    def stream(self) -> str:
        """The stream holding the event."""
        return self.context.stream

    @property
    def sequence(self) -> int:
        """The event's position in its stream."""
        return self.context.sequence

    @property
    def aggregate_id(self) -> str | None:
        """The aggregate id of an aggregate event."""
        return self.context.key

    @property
    def time(self) -> datetime:
        """When the server stored the event (UTC)."""
        return self.context.timestamp

    @property
    def attempt(self) -> int:
        """1 on the first delivery, 2 on the first retry, and so on."""
        return self.context.attempt

    @property
    def headers(self) -> Mapping[str, str]:
        """All headers of the message."""
        return self.context.headers

    async def emit(
        self, event: walnats.Event[E], message: E, *, suffix: str = ""
    ) -> walnats.Emitted:
        """Emit a follow-up event with a deterministic message id.

        The id is ``<event id>.<reactor>.<follow-up event>[.<suffix>]``, so a retry
        after a crash between the emit and the commit stores it once (within the
        stream's duplicate window). Append to aggregates through their event store
        instead (with a command id derived from ``ctx.event_id``).

        Raises:
            ProjectionError: called while replaying history.
        """
        if self.replaying:
            raise ProjectionError(
                f"reactor {self.reactor!r} tried to emit {event.name!r} while replaying "
                f"history; check ctx.replaying before side effects"
            )
        return await self.context.emit(event, message, suffix=suffix)


def event_key(context: walnats.Context[Any]) -> str:
    """The ledger key of a delivery: the event id, else ``<stream>.<sequence>``."""
    return context.event_id or f"{context.stream}.{context.sequence}"


@dataclass(frozen=True)
class Reactor(Generic[T]):
    """Performs a side effect for every *event*, at most once per event id.

    ::

        async def confirm(order: OrderPlaced, ctx: projections.ReactorContext[OrderPlaced]) -> None:
            ctx.session.add(Outbox(to=order.email, subject=f"Order {order.order_id}"))

        CONFIRM = projections.Reactor("confirm-order", ORDER_PLACED, confirm)
    """

    name: str
    """Kebab-case name: its durable consumer and its key in the ledger. Renaming it
    makes a new reactor (with a new horizon: no history is re-sent)."""

    event: walnats.BaseEvent[T, Any]
    """The event it reacts to."""

    handler: Callable[[T, ReactorContext[T]], Awaitable[None]]
    """``async (payload, ctx) -> None``. Raise to retry (``walnats.Retry``,
    ``walnats.Reject`` as for actors)."""

    description: str | None = None
    """What it does, for humans (docs, diagrams)."""

    emits: Sequence[walnats.BaseEvent[Any, Any]] = ()
    """Follow-up events it may emit, for diagrams and AsyncAPI."""

    tables: Sequence[sa.Table | type[Any]] = ()
    """Tables its handler writes (an outbox), created by ``serve(create_tables=True)``
    in development. Yours to migrate in production."""

    start: Literal["new", "all"] = "new"
    """Where a brand-new reactor starts: ``"new"`` treats the events already in the
    stream as history; ``"all"`` handles them as live events."""

    replay: Literal["skip", "run"] = "skip"
    """History (events up to the horizon) is skipped, or handled with
    ``ctx.replaying=True``."""

    retry: walnats.RetryPolicy = DEFAULT_REACTOR_RETRY
    """Attempts and delays before the event goes to the dead letters."""

    max_jobs: int = 8
    """Events handled at once per process (1: one at a time, in stream order)."""

    ack_wait: float = 30.0
    """Seconds before the server redelivers an unacknowledged event."""

    job_timeout: float = 60.0
    """Seconds the handler (and its commit) may take."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name) or len(self.name) > 64:
            raise walnats.ConfigError(
                f"reactor name {self.name!r} must be kebab-case (a-z, 0-9, '-'), at most "
                f"64 characters: it becomes a durable consumer name"
            )
        where = f"reactor {self.name!r}"
        if not isinstance(self.event, walnats.BaseEvent):
            raise walnats.ConfigError(f"{where}: event must be a walnats.Event")
        if not callable(self.handler):
            raise walnats.ConfigError(f"{where}: handler must be an async function")
        if self.start not in ("new", "all"):
            raise walnats.ConfigError(f"{where}: start must be 'new' or 'all'")
        if self.replay not in ("skip", "run"):
            raise walnats.ConfigError(f"{where}: replay must be 'skip' or 'run'")
        object.__setattr__(self, "emits", tuple(self.emits))
        object.__setattr__(self, "tables", tuple(table_of(where, t) for t in self.tables))

    @property
    def events(self) -> tuple[walnats.BaseEvent[Any, Any], ...]:
        """The event it handles (for ``Services`` and tooling)."""
        return (self.event,)

    def __repr__(self) -> str:
        return f"Reactor({self.name!r}, {self.event.name!r})"
