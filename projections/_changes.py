"""How events enter an aggregate (commands return :class:`NewEvent`) and change it (:func:`on`).

Both constructors are functions rather than generic classes on purpose: mypy infers
the payload type from the event alone, so a payload or an apply function of the wrong
type is rejected even inside a ``list[NewEvent]`` or an ``apply=[...]`` argument
(a generic class there would take ``Any`` from the surrounding annotation).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import walnats

__all__ = ["Applier", "NewEvent", "check_id", "new", "on"]

S = TypeVar("S")
T = TypeVar("T")

_ID = re.compile(r"^[A-Za-z0-9_=-]{1,128}$")


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event a command decided to append. Build it with :func:`new`, which type-checks it."""

    event: walnats.BaseEvent[Any, Any]
    """The declaration of the event (it must belong to the aggregate)."""
    payload: Any
    """The payload, an instance of ``event.schema``."""


def new(event: walnats.BaseEvent[T, Any], payload: T) -> NewEvent:
    """Record that *event* happened with *payload*; commands return a list of these.

    mypy rejects a payload that does not match the event's schema. Annotate commands
    as returning ``list[projections.NewEvent]``.
    """
    return NewEvent(event, payload)


@dataclass(frozen=True, slots=True)
class Applier(Generic[S]):
    """How one event type changes the state. Build it with :func:`on`."""

    event: walnats.BaseEvent[Any, Any]
    """The event this applier handles."""
    fn: Callable[[S, Any], S]
    """``(state, payload) -> new state``. Pure: no I/O, no clock, no randomness."""
    version: int = 1
    """The current schema version of the event's payload (see :func:`on`)."""


def on(
    event: walnats.BaseEvent[T, Any], fn: Callable[[S, T], S], *, version: int = 1
) -> Applier[S]:
    """Apply *fn* to the state for every *event*: ``fn(state, payload) -> new state``.

    mypy rejects an *fn* whose payload type is not the event's schema, or whose state
    type is not the aggregate's.

    Args:
        version: the schema version *event*'s payload has today. New events are
            stored with it; stored events with a lower version must be brought to it
            by upcasters. Bump it together with the upcaster that reads the old one.
    """
    return Applier(event, fn, version)


def check_id(aggregate: str, aggregate_id: object) -> str:
    """Validate an aggregate id: it becomes a subject token and a KV key.

    Raises:
        walnats.ConfigError: *aggregate_id* is not 1-128 characters of ``A-Z a-z 0-9 _ = -``.
    """
    if not isinstance(aggregate_id, str) or not _ID.match(aggregate_id):
        raise walnats.ConfigError(
            f"aggregate {aggregate!r}: invalid id {aggregate_id!r}. Ids are 1 to 128 characters of "
            f"A-Z, a-z, 0-9, '_', '=' and '-' (they become a subject token and a KV key); "
            f"use a UUID or ULID, or base64url-encode other keys."
        )
    return aggregate_id
