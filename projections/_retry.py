"""Running a command again when another writer got there first."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar

import walnats

from ._results import Executed

if TYPE_CHECKING:
    from ._store import Command, EventStore

__all__ = ["DEFAULT_ATTEMPTS", "retry_on_conflict"]

S = TypeVar("S")

DEFAULT_ATTEMPTS = 16
"""Attempts before the conflict is raised; each lost race means another writer won."""


async def retry_on_conflict(
    store: EventStore[S],
    aggregate_id: str,
    command: Command[S],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    command_id: str | None = None,
    meta: Mapping[str, str] | None = None,
    base_delay: float = 0.002,
    max_delay: float = 0.2,
) -> Executed[S]:
    """Execute *command* on aggregate *aggregate_id*, reloading and re-running it after conflicts.

    Safe because a command only decides from the state it is given: after a
    :class:`walnats.ConcurrencyError` it runs again on the fresh state, so it sees
    the other writer's events (and may now refuse, raising its domain error). Between
    attempts it sleeps a random time up to ``base_delay * 2**attempt`` (capped at
    *max_delay*), which spreads writers that collided.

    ::

        done = await projections.retry_on_conflict(orders, "o-1", lambda o: pay(o, 10))

    Raises:
        walnats.ConcurrencyError: still conflicting after *attempts* runs.
    """
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise walnats.ConfigError(f"attempts must be an int >= 1, got {attempts!r}")
    for attempt in range(1, attempts + 1):
        try:
            done = await store.execute(aggregate_id, command, command_id=command_id, meta=meta)
        except walnats.ConcurrencyError:
            if attempt == attempts:
                raise
            await asyncio.sleep(random.uniform(0, min(max_delay, base_delay * 2**attempt)))
            continue
        if attempt == 1:
            return done
        return Executed(
            done.stream,
            done.id,
            done.state,
            done.version,
            done.sequence,
            done.events,
            done.duplicate,
            attempt,
            done.saved,
        )
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
