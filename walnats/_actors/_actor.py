"""Actor declarations: which event, which handler, how to retry."""

from __future__ import annotations

import enum
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, Union

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from .._context import Context
from .._errors import ConfigError
from .._events._event import BaseEvent
from .._names import check_description, check_name
from ._retry import RetryPolicy

__all__ = ["Actor", "ExecuteIn", "Priority"]

T = TypeVar("T")
R = TypeVar("R")

Handler = Union[  # noqa: UP007 - mypy infers T from both forms through the Union
    Callable[[T], Awaitable[R] | R],
    Callable[[T, Context[T]], Awaitable[R] | R],
]


class ExecuteIn(enum.Enum):
    """Where a handler runs."""

    MAIN = "main"
    """In the event loop. The default for ``async def`` handlers."""
    THREAD = "thread"
    """In a thread pool. The default for plain ``def`` handlers: they may block."""
    PROCESS = "process"
    """In a process pool, for CPU-bound work. Handler and payload must be picklable."""


class Priority(enum.IntEnum):
    """Which actors get free job slots first when a worker is saturated."""

    HIGH = 0
    NORMAL = 1
    LOW = 2


@dataclass(frozen=True)
class Actor(Generic[T, R]):
    """Runs *handler* for every *event*: one durable JetStream consumer named *name*.

    ::

        SEND_EMAIL = walnats.Actor("send-email", ORDER_PLACED, send_email)

    Delivery is at-least-once: a handler may see an event again after a crash, so
    make it idempotent (``projections.Reactor`` does that with a ledger).
    """

    name: str
    """Durable consumer name. Renaming it creates a new consumer that starts from
    the beginning of the stream."""

    event: BaseEvent[T, R]
    """The event to handle."""

    handler: Handler[T, R]
    """``(payload) -> result`` or ``(payload, ctx: walnats.Context[T]) -> result``,
    sync or async. The result is the response for request events."""

    description: str | None = None
    """What the actor does, for humans (docs, diagrams, AsyncAPI)."""

    ack_wait: float = 16
    """Seconds the server waits for an acknowledgement before redelivering. While a
    handler runs, walnats keeps the message alive with pulses (see *pulse*)."""

    max_attempts: int | None = None
    """Deliveries before the event goes to dead letters; overrides ``retry``."""

    max_ack_pending: int = 1000
    """Messages the server hands out to this actor's workers before waiting for acks."""

    middlewares: tuple[object, ...] = ()
    """Hooks around this actor's jobs (after the global ones)."""

    max_jobs: int = 16
    """Jobs of this actor running at once in one worker process."""

    job_timeout: float = 32
    """Seconds a job may run; a job past it fails (and is retried)."""

    execute_in: ExecuteIn | None = None
    """Where the handler runs; by default async handlers in the loop, sync in threads."""

    retry_delay: Sequence[float] | None = None
    """Explicit delays between attempts (walnats 1.x); prefer ``retry``."""

    pulse: bool = True
    """Send ``in_progress`` every ``ack_wait / 2`` while the handler runs, so a long
    job is not redelivered to another worker."""

    priority: Priority = Priority.NORMAL
    """Which actors get free job slots first when the worker is saturated."""

    retry: RetryPolicy = RetryPolicy()
    """When to retry and when to give up."""

    double_ack: bool = False
    """Wait for the server to confirm each acknowledgement (``ack_sync``). Slower; it
    closes the window in which a lost ack causes a redelivery."""

    dead_letters: bool = True
    """Copy events that exhausted their attempts into the dead-letter stream."""

    decoder: Callable[[str, bytes, Mapping[str, str] | None], T] | None = None
    """Turns a stored message (subject, data, headers) into the payload instead of the
    event's serializer. The event-sourcing toolkit's ``Aggregate.decoder(event)`` runs
    the aggregate's upcasters, so an actor sees old events as today's type. A decoder
    that raises sends the message to dead letters (it cannot succeed on a retry)."""

    rate_limit: float | None = None
    """Jobs started per second at most, in each worker process (``None``: no limit).
    Jobs are spaced evenly; messages waiting for their turn are kept alive."""

    _policy: RetryPolicy = field(init=False, repr=False, compare=False)
    _wants_context: bool = field(init=False, repr=False, compare=False)
    _is_async: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_name("actor", self.name)
        check_description("actor", self.name, self.description)
        if not isinstance(self.event, BaseEvent):
            raise ConfigError(f"actor {self.name!r}: event must be a walnats.Event")
        if not callable(self.handler):
            raise ConfigError(f"actor {self.name!r}: handler must be callable")
        for attr in ("ack_wait", "job_timeout"):
            if not getattr(self, attr) > 0:
                raise ConfigError(f"actor {self.name!r}: {attr} must be > 0 seconds")
        if self.rate_limit is not None and not self.rate_limit > 0:
            raise ConfigError(f"actor {self.name!r}: rate_limit must be > 0 jobs per second")
        for attr in ("max_jobs", "max_ack_pending"):
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"actor {self.name!r}: {attr} must be an int >= 1")
        policy = self.retry
        if self.retry_delay is not None:
            policy = RetryPolicy(
                max_attempts=policy.max_attempts,
                delays=tuple(self.retry_delay),
                non_retryable=policy.non_retryable,
                jitter=0.0,
            )
        if self.max_attempts is not None:
            policy = RetryPolicy(
                max_attempts=self.max_attempts,
                delays=policy.delays,
                initial=policy.initial,
                multiplier=policy.multiplier,
                maximum=policy.maximum,
                jitter=policy.jitter,
                non_retryable=policy.non_retryable,
            )
        object.__setattr__(self, "_policy", policy)
        object.__setattr__(self, "_wants_context", _takes_context(self.handler))
        is_async = inspect.iscoroutinefunction(self.handler) or inspect.iscoroutinefunction(
            getattr(self.handler, "__call__", None)  # noqa: B004 - async callable objects
        )
        object.__setattr__(self, "_is_async", is_async)
        if is_async and self.execute_in not in (None, ExecuteIn.MAIN):
            raise ConfigError(
                f"actor {self.name!r}: an async handler runs in the event loop; "
                f"execute_in={self.execute_in} is for sync handlers"
            )
        if self.execute_in is ExecuteIn.PROCESS and self._wants_context:
            raise ConfigError(
                f"actor {self.name!r}: a handler in a process pool cannot take a Context"
            )

    @property
    def policy(self) -> RetryPolicy:
        """The effective retry policy (``retry`` with ``max_attempts``/``retry_delay``)."""
        return self._policy

    @property
    def runs_in(self) -> ExecuteIn:
        """Where the handler runs."""
        if self.execute_in is not None:
            return self.execute_in
        return ExecuteIn.MAIN if self._is_async else ExecuteIn.THREAD

    def consumer_config(self) -> ConsumerConfig:
        """The durable pull consumer this actor needs.

        ``max_deliver`` equals ``max_attempts`` and ``backoff`` follows the retry
        policy, so a job that times out (a crashed worker) is redelivered on the same
        curve as one that failed, and the server stops after the same count.
        """
        policy = self._policy
        backoff = [round(self.ack_wait + d, 3) for d in policy.schedule()] or None
        return ConsumerConfig(
            durable_name=self.name,
            name=self.name,
            description=self.description,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=policy.max_attempts,
            backoff=backoff,
            filter_subject=self.event.filter_subject,
            max_ack_pending=self.max_ack_pending,
        )


def _takes_context(handler: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(positional) > 2 or not positional:
        raise ConfigError(
            f"handler {getattr(handler, '__qualname__', handler)!r} must take the payload "
            f"and optionally a walnats.Context; it takes {len(positional)} arguments"
        )
    return len(positional) == 2
