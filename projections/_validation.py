"""Checks run when an :class:`Aggregate` is declared, so mistakes fail at import time."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import walnats

from ._changes import Applier
from ._upcasting import SnapshotUpcaster

if TYPE_CHECKING:
    from ._aggregate import Aggregate

__all__ = [
    "MAX_NAME_LENGTH",
    "check_initial",
    "check_name",
    "check_snapshots",
    "check_upcasters",
    "index_appliers",
]

_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_NAME_LENGTH = 64
"""Aggregate names become stream names, which share walnats' 64-character limit."""


def index_appliers(aggregate: Aggregate[Any]) -> dict[str, Applier[Any]]:
    """The appliers by event name, checked: one per event, all of this aggregate."""
    if not aggregate.apply:
        raise walnats.ConfigError(
            f"aggregate {aggregate.name!r} has no events: pass apply=[projections.on(EVENT, fn)]"
        )
    appliers: dict[str, Applier[Any]] = {}
    for applier in aggregate.apply:
        if not isinstance(applier, Applier):
            raise walnats.ConfigError(
                f"aggregate {aggregate.name!r}: apply takes projections.on(EVENT, fn) "
                f"items, got {applier!r}"
            )
        event = applier.event
        if event.aggregate != aggregate.name:
            raise walnats.ConfigError(
                f"event {event.name!r} is not an event of aggregate {aggregate.name!r} "
                f"(its aggregate is {event.aggregate!r}); declare it as "
                f"walnats.Event({event.name!r}, ..., aggregate={aggregate.name!r})"
            )
        if event.name in appliers:
            raise walnats.ConfigError(
                f"aggregate {aggregate.name!r}: two applies for event {event.name!r}"
            )
        version = applier.version
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise walnats.ConfigError(
                f"aggregate {aggregate.name!r}: version of {event.name!r} must be an int >= 1"
            )
        appliers[event.name] = applier
    return appliers


def check_upcasters(aggregate: Aggregate[Any]) -> None:
    """Refuse upcasters that would misread events the aggregate writes today."""
    for upcaster in aggregate.upcaster_registry:
        current = aggregate.appliers_by_name.get(upcaster.event)
        if current is not None and current.version <= upcaster.version:
            raise walnats.ConfigError(
                f"aggregate {aggregate.name!r}: an upcaster reads {upcaster.event!r} "
                f"v{upcaster.version}, so new {upcaster.event!r} events must be stored "
                f"as v{upcaster.version + 1} or later; pass version= to "
                f"projections.on({upcaster.event!r} ...)"
            )
        if upcaster.many:
            continue
        name, version = upcaster.target
        target = aggregate.appliers_by_name.get(name)
        if target is not None and version > target.version:
            raise walnats.ConfigError(
                f"aggregate {aggregate.name!r}: an upcaster produces {name!r} v{version}, "
                f"but the aggregate applies {name!r} v{target.version}"
            )


def check_snapshots(aggregate: Aggregate[Any]) -> None:
    """Refuse invalid snapshot options."""
    every = aggregate.snapshot_every
    if every is not None and (not isinstance(every, int) or isinstance(every, bool) or every < 1):
        raise walnats.ConfigError(
            f"aggregate {aggregate.name!r}: snapshot_every must be an int >= 1 or None"
        )
    if not isinstance(aggregate.state_version, int) or aggregate.state_version < 1:
        raise walnats.ConfigError(f"aggregate {aggregate.name!r}: state_version must be >= 1")
    seen: set[int] = set()
    for upcaster in aggregate.snapshot_upcasters:
        if not isinstance(upcaster, SnapshotUpcaster):
            raise walnats.ConfigError(
                f"aggregate {aggregate.name!r}: snapshot_upcasters takes "
                f"projections.SnapshotUpcaster objects, got {upcaster!r}"
            )
        if upcaster.version >= aggregate.state_version or upcaster.version in seen:
            raise walnats.ConfigError(
                f"aggregate {aggregate.name!r}: snapshot upcaster v{upcaster.version} must "
                f"read a version below state_version={aggregate.state_version}, once"
            )
        seen.add(upcaster.version)


def check_initial(aggregate: Aggregate[Any]) -> None:
    """Refuse an initial state that is not an instance of the state type."""
    state = aggregate.state
    if isinstance(state, type) and not isinstance(aggregate.initial, state):
        raise walnats.ConfigError(
            f"aggregate {aggregate.name!r}: initial must be an instance of {state.__qualname__}, "
            f"got {type(aggregate.initial).__qualname__}"
        )


def check_name(name: object) -> None:
    """Refuse an aggregate name that cannot be a stream name and a subject token."""
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > MAX_NAME_LENGTH:
        raise walnats.ConfigError(
            f"aggregate name {name!r} must be kebab-case (a-z, 0-9, '-'), at most "
            f"{MAX_NAME_LENGTH} characters: it becomes a stream name and a subject token"
        )
