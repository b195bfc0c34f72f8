"""Upcasting: turning events and snapshots stored with an old schema into the current one.

Stored events are never rewritten. Each carries its schema version in the
``Walnats-Schema-Version`` header (1 when absent); when an aggregate loads, every event
whose ``(name, version)`` has an :class:`Upcaster` is converted step by step (v1 → v2 →
v3, renamed, or split into several events) until no upcaster matches. Upcasters work on
the decoded JSON document, not on Python classes, so the old classes can be deleted.

The pipeline, :meth:`Upcasters.upcast`, is public and free of I/O so that replays and
dead-letter tools run exactly the same conversion as aggregate loading.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import walnats

from ._errors import ReplayError

__all__ = ["MAX_UPCAST_STEPS", "RawEvent", "SnapshotUpcaster", "Upcaster", "Upcasters"]

MAX_UPCAST_STEPS = 64
"""Upcasters applied to one stored event at most; more means a cycle in the chain."""


@dataclass(frozen=True, slots=True)
class RawEvent:
    """An event as stored: its name, schema version and decoded JSON document."""

    name: str
    """The event name (the last token of its subject)."""
    version: int
    """The schema version the document follows."""
    data: Any
    """The payload decoded from JSON into dicts, lists, strings and numbers."""


@dataclass(frozen=True)
class Upcaster:
    """Converts stored events *event* at schema *version* one step forward.

    ::

        # v1 had no currency: default it, producing order-placed v2
        Upcaster("order-placed", 1, lambda data: {**data, "currency": "EUR"})
        # the event was renamed: order-created v1 is order-placed v1
        Upcaster("order-created", 1, lambda data: data, rename="order-placed", to_version=1)
        # one old event becomes several (or none: return an empty list)
        Upcaster("items-added", 1, split_items, many=True)

    Steps chain: the output is upcast again while an upcaster matches it.
    """

    event: str
    """Name of the stored event this upcaster reads."""

    version: int
    """Schema version of the stored event this upcaster reads."""

    fn: Callable[[Any], Any]
    """``data -> new data``; with ``many=True``, ``data -> iterable of RawEvent``."""

    rename: str | None = None
    """The new event name, when the event type was renamed."""

    to_version: int | None = None
    """Schema version of the output: defaults to ``version + 1``, or 1 with *rename*."""

    many: bool = False
    """*fn* returns any number of :class:`RawEvent` (one-to-many, or zero to drop)."""

    description: str | None = None
    """Why the schema changed, for humans."""

    def __post_init__(self) -> None:
        where = f"upcaster for {self.event!r} v{self.version}"
        if not isinstance(self.version, int) or isinstance(self.version, bool) or self.version < 1:
            raise walnats.ConfigError(f"{where}: version must be an int >= 1")
        if not callable(self.fn):
            raise walnats.ConfigError(f"{where}: fn must be callable")
        if self.many and (self.rename is not None or self.to_version is not None):
            raise walnats.ConfigError(
                f"{where}: with many=True the returned RawEvents carry their own names "
                f"and versions; drop rename= and to_version="
            )
        if not self.many and self.target == (self.event, self.version):
            raise walnats.ConfigError(f"{where}: the output must differ from the input")

    @property
    def target(self) -> tuple[str, int]:
        """``(name, version)`` of the output (meaningless with ``many=True``)."""
        name = self.rename or self.event
        if self.to_version is not None:
            return name, self.to_version
        return name, 1 if self.rename is not None else self.version + 1

    def run(self, record: RawEvent) -> list[RawEvent]:
        """Apply this step to *record* (its name and version must match)."""
        out = self.fn(record.data)
        if not self.many:
            name, version = self.target
            return [RawEvent(name, version, out)]
        items = list(out)
        for item in items:
            if not isinstance(item, RawEvent):
                raise ReplayError(
                    f"upcaster for {self.event!r} v{self.version} has many=True and must "
                    f"return projections.RawEvent items, got {type(item).__qualname__}"
                )
        return items


class Upcasters:
    """The upcasters of one aggregate (or of any set of events), keyed by name and version."""

    __slots__ = ("_by_key",)

    def __init__(self, *upcasters: Upcaster) -> None:
        by_key: dict[tuple[str, int], Upcaster] = {}
        for upcaster in upcasters:
            if not isinstance(upcaster, Upcaster):
                raise walnats.ConfigError(
                    f"Upcasters() takes projections.Upcaster objects, got {upcaster!r}"
                )
            key = (upcaster.event, upcaster.version)
            if key in by_key and by_key[key] != upcaster:
                raise walnats.ConfigError(
                    f"two upcasters read {upcaster.event!r} v{upcaster.version}; "
                    f"keep one (chain steps with increasing versions instead)"
                )
            by_key[key] = upcaster
        self._by_key = by_key

    def get(self, name: str, version: int) -> Upcaster | None:
        """The upcaster that reads *name* at *version*, if any."""
        return self._by_key.get((name, version))

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[Upcaster]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def upcast(self, record: RawEvent) -> list[RawEvent]:
        """Run the chain on one stored event; returns the events it stands for today.

        Usually one event; several or none after a one-to-many upcaster. Events no
        upcaster reads come back unchanged.

        Raises:
            ReplayError: the chain is longer than :data:`MAX_UPCAST_STEPS` (a cycle),
                or an upcaster returned something else than RawEvents.
        """
        done: list[RawEvent] = []
        todo = [(record, 0)]
        while todo:
            current, steps = todo.pop()
            upcaster = self._by_key.get((current.name, current.version))
            if upcaster is None:
                done.append(current)
                continue
            if steps >= MAX_UPCAST_STEPS:
                raise ReplayError(
                    f"upcasting {record.name!r} v{record.version} took more than "
                    f"{MAX_UPCAST_STEPS} steps; the upcasters form a cycle around "
                    f"{current.name!r} v{current.version}"
                )
            # reversed + pop keeps the order of one-to-many outputs
            todo.extend((out, steps + 1) for out in reversed(upcaster.run(current)))
        return done

    def upcast_all(self, records: Iterable[RawEvent]) -> list[RawEvent]:
        """:meth:`upcast` every record, keeping the order."""
        return [out for record in records for out in self.upcast(record)]


@dataclass(frozen=True)
class SnapshotUpcaster:
    """Converts a snapshot's state document from state schema *version* to ``version + 1``.

    Without a chain to the aggregate's current ``state_version`` a snapshot is
    discarded and the state rebuilt from the events: slower, never wrong.
    """

    version: int
    """The state schema version this upcaster reads."""

    fn: Callable[[Any], Any]
    """``state document -> state document of the next version``."""

    description: str | None = None
    """Why the state changed, for humans."""

    def __post_init__(self) -> None:
        if not isinstance(self.version, int) or isinstance(self.version, bool) or self.version < 1:
            raise walnats.ConfigError("snapshot upcaster: version must be an int >= 1")
        if not callable(self.fn):
            raise walnats.ConfigError(f"snapshot upcaster v{self.version}: fn must be callable")
