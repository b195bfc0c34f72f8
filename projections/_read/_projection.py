"""Projection declarations: a name, a version, handlers per event, how to batch and fail."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

import walnats

from .._upcasting import Upcaster, Upcasters
from ._handlers import EventHandler, Router
from ._tables import PartitionKey

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["OnPoison", "Projection", "ResetHook"]

OnPoison = Literal["stop", "skip"]
ResetHook = Callable[["AsyncSession"], Awaitable[None]]
"""``async (session) -> None``: empty the read model before a rebuild."""

_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SUFFIX = re.compile(r"-[vp][0-9]+$")
MAX_NAME_LENGTH = 48
"""Leaves room for the ``-v<version>-p<partition>`` suffix of consumer names."""

DEFAULT_RETRY = walnats.RetryPolicy(max_attempts=3, initial=0.2, maximum=5.0)


@dataclass(frozen=True)
class Projection:
    """A read model built from events, with its checkpoint in the same database.

    ::

        ORDER_SUMMARY = projections.Projection(
            "order-summary",
            handlers=[
                projections.handle(ORDER_PLACED, placed),
                projections.handle(PAYMENT_CAPTURED, paid),
            ],
            tables=[OrderSummary],
        )

    A runner (:class:`ProjectionRunner`) applies events in batches: each batch's
    read-model changes and the checkpoint commit in one transaction, and events at or
    below the checkpoint are skipped, so every event changes the read model exactly
    once, whatever crashes, redeliveries or restarts happen.
    """

    name: str
    """Kebab-case name: the durable consumer name and the key of its checkpoints.

    Renaming it starts a new, empty projection: choose it carefully."""

    handlers: Sequence[EventHandler]
    """One :func:`handle` per event type, from one or more streams."""

    description: str | None = None
    """What the read model answers, for humans (docs, diagrams)."""

    version: int = 1
    """Bump it to build a new version side by side (blue/green): it gets its own
    checkpoints and consumers, starts from the beginning of the log, and becomes the
    active version once it caught up (see *activate*). Give each version its own
    tables (e.g. ``order_summary_v2``)."""

    tables: Sequence[sa.Table | type[Any]] = ()
    """Read-model tables (or ORM classes) emptied before a rebuild. Yours to create
    and migrate; the toolkit only deletes their rows on ``replay``."""

    reset: ResetHook | None = None
    """Called before a rebuild, after *tables* are emptied, in the same transaction:
    for read models that need more than ``DELETE FROM`` (files, caches, counters)."""

    batch_size: int = 500
    """Events applied per transaction at most. Bigger batches are faster (fewer
    commits) and hold the write lock longer."""

    flush_interval: float = 0.0
    """Seconds to wait for a batch to fill before applying a partial one. ``0`` applies
    what has arrived at once: under load batches fill by themselves while the previous
    one commits, and a single new event is applied with the lowest latency."""

    on_poison: OnPoison = "stop"
    """What happens when an event still fails after *retry*: ``"stop"`` keeps the
    checkpoint before it and stops the projection (status ``stopped``, a log line, and
    :class:`ProjectionStopped`) until the code is fixed; ``"skip"`` copies the event to
    the dead-letter stream and moves on. Never a silent skip."""

    retry: walnats.RetryPolicy = DEFAULT_RETRY
    """How often a failing event is tried again (alone, in its own transaction) before
    it counts as poison. Database outages do not count: they are retried until the
    database is back."""

    partitions: int = 1
    """Split the work by aggregate id over this many partitions, each with its own
    consumer, checkpoints and claim, so several workers apply events in parallel while
    each aggregate's events stay in order. ``1`` (the default) applies all events in
    one global order (single active worker). Changing it needs a new *version*."""

    upcasters: Sequence[Upcaster] | Upcasters = ()
    """Conversions of events stored with older schemas (as for aggregates)."""

    activate: Literal["when-caught-up", "manual"] = "when-caught-up"
    """When this version becomes the active one readers should use: as soon as it has
    caught up with the log, or only through :func:`activate_version`."""

    _routers: Mapping[str, Router] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        where = f"projection {self.name!r}"
        if self.description is not None and not self.description.strip():
            raise walnats.ConfigError(f"{where}: description must not be empty")
        if isinstance(self.version, bool) or not isinstance(self.version, int):
            raise walnats.ConfigError(f"{where}: version must be an int >= 1")
        if self.version < 1:
            raise walnats.ConfigError(f"{where}: version must be an int >= 1")
        _check_positive(where, "batch_size", self.batch_size)
        _check_positive(where, "partitions", self.partitions)
        if not self.flush_interval >= 0:
            raise walnats.ConfigError(f"{where}: flush_interval must be >= 0 seconds")
        if self.on_poison not in ("stop", "skip"):
            raise walnats.ConfigError(
                f"{where}: on_poison must be 'stop' or 'skip', got {self.on_poison!r}"
            )
        if self.activate not in ("when-caught-up", "manual"):
            raise walnats.ConfigError(
                f"{where}: activate must be 'when-caught-up' or 'manual', got {self.activate!r}"
            )
        if not isinstance(self.retry, walnats.RetryPolicy):
            raise walnats.ConfigError(f"{where}: retry must be a walnats.RetryPolicy")
        if self.reset is not None and not callable(self.reset):
            raise walnats.ConfigError(f"{where}: reset must be an async function or None")
        object.__setattr__(self, "handlers", tuple(self.handlers))
        tables = tuple(table_of(where, t) for t in self.tables)
        object.__setattr__(self, "tables", tables)
        upcasters = self.upcasters
        if not isinstance(upcasters, Upcasters):
            upcasters = Upcasters(*upcasters)
        object.__setattr__(self, "upcasters", upcasters)
        object.__setattr__(self, "_routers", self._route(upcasters))

    def _route(self, upcasters: Upcasters) -> dict[str, Router]:
        where = f"projection {self.name!r}"
        if not self.handlers:
            raise walnats.ConfigError(
                f"{where} has no handlers: pass handlers=[projections.handle(EVENT, fn)]"
            )
        by_stream: dict[str, list[EventHandler]] = {}
        seen: set[tuple[str, str]] = set()
        for handler in self.handlers:
            if not isinstance(handler, EventHandler):
                raise walnats.ConfigError(
                    f"{where}: handlers takes projections.handle(EVENT, fn) items, got {handler!r}"
                )
            event = handler.event
            key = (event.stream_name, event.name)
            if key in seen:
                raise walnats.ConfigError(f"{where}: two handlers for event {event.name!r}")
            seen.add(key)
            by_stream.setdefault(event.stream_name, []).append(handler)
        return {stream: Router(stream, found, upcasters) for stream, found in by_stream.items()}

    @property
    def events(self) -> tuple[walnats.BaseEvent[Any, Any], ...]:
        """The events this projection applies (for ``Services`` and tooling)."""
        return tuple(h.event for h in self.handlers)

    @property
    def streams(self) -> tuple[str, ...]:
        """The streams it reads, in declaration order."""
        return tuple(self._routers)

    def router(self, stream: str) -> Router:
        """How the messages of *stream* map to handlers."""
        return self._routers[stream]

    def filters(self, stream: str) -> list[str]:
        """The subject filters of its consumer on *stream*: only the handled events."""
        return sorted({h.event.filter_subject for h in self.handlers if _in(h, stream)})

    @property
    def base_name(self) -> str:
        """``name`` for version 1, ``name-v<version>`` after: the dead-letter "actor"."""
        return self.name if self.version == 1 else f"{self.name}-v{self.version}"

    def check_partitions(self, partitions: Iterable[int] | None) -> list[int]:
        """*partitions* sorted and checked (``None``: all of them)."""
        chosen = sorted(set(range(self.partitions) if partitions is None else partitions))
        for partition in chosen:
            if not 0 <= partition < self.partitions:
                raise walnats.ConfigError(
                    f"projection {self.name!r} has partitions 0 to {self.partitions - 1}; "
                    f"got partition {partition}"
                )
        return chosen

    def partition_key(self, partition: int) -> PartitionKey:
        """The key of one partition's claim and checkpoints."""
        return PartitionKey(self.name, self.version, partition)

    def consumer_name(self, partition: int) -> str:
        """The durable consumer of one partition (the same name on every stream)."""
        if self.partitions == 1:
            return self.base_name
        return f"{self.base_name}-p{partition}"

    def __repr__(self) -> str:
        return f"Projection({self.name!r}, version={self.version})"


def _in(handler: EventHandler, stream: str) -> bool:
    return handler.event.stream_name == stream


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > MAX_NAME_LENGTH:
        raise walnats.ConfigError(
            f"projection name {name!r} must be kebab-case (a-z, 0-9, '-'), at most "
            f"{MAX_NAME_LENGTH} characters: it becomes a durable consumer name"
        )
    if _SUFFIX.search(name):
        raise walnats.ConfigError(
            f"projection name {name!r} must not end in -v<number> or -p<number>: consumer "
            f"names add those for versions and partitions. Use `version=` instead."
        )


def _check_positive(where: str, attr: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise walnats.ConfigError(f"{where}: {attr} must be an int >= 1, got {value!r}")


def table_of(where: str, item: object) -> sa.Table:
    table = getattr(item, "__table__", item)
    if not isinstance(table, sa.Table):
        raise walnats.ConfigError(
            f"{where}: tables takes sqlalchemy Table objects or ORM classes, got {item!r}"
        )
    return table
