"""What loading, saving and executing return."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from ._changes import NewEvent

__all__ = ["Executed", "Loaded", "Saved"]

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Loaded(Generic[S]):
    """An aggregate as loaded: pass it to ``save`` as the expected version."""

    id: str
    """The aggregate id."""
    state: S
    """The state after every stored event."""
    version: int
    """How many events the aggregate has (0: none yet). Not a stream sequence."""
    sequence: int
    """Stream sequence of its last event (0: none yet): what ``save`` expects."""
    replayed: int
    """Events read from the stream by this load (after the snapshot, if any)."""
    snapshot_version: int | None = None
    """Version of the snapshot the load started from, or ``None``."""
    last_event_id: str | None = None
    """``Nats-Msg-Id`` of the last event, ``<command-id>.<n>``."""
    snapshot_revision: int = field(default=0, repr=False)
    """KV revision of the snapshot entry, for compare-and-set snapshot writes."""


@dataclass(frozen=True, slots=True)
class Saved:
    """The server's receipt for one command's events."""

    stream: str
    """The aggregate type's stream."""
    id: str
    """The aggregate id."""
    version: int
    """Aggregate version after the events."""
    sequence: int
    """Stream sequence of the last event: wait for it to read your own writes."""
    count: int
    """Events this save appended (0 when *duplicate*)."""
    duplicate: bool = False
    """The same command id was stored before: nothing new was appended. *version* and
    *sequence* then describe the earlier write, or the aggregate's latest event when
    the earlier write is no longer the latest."""
    snapshot: bool = False
    """A snapshot was written as part of this save."""


@dataclass(frozen=True, slots=True)
class Executed(Generic[S]):
    """The outcome of running a command against an aggregate."""

    stream: str
    """The aggregate type's stream."""
    id: str
    """The aggregate id."""
    state: S
    """The state after the command's events."""
    version: int
    """Aggregate version after the command."""
    sequence: int
    """Stream sequence of the aggregate's last event after the command."""
    events: tuple[NewEvent, ...] = ()
    """The events the command decided (empty when it decided nothing)."""
    duplicate: bool = False
    """The command id had already been executed: nothing was appended."""
    attempts: int = 1
    """How many times the command ran (more than 1 after conflicts were retried)."""
    saved: Saved | None = None
    """The receipt, or ``None`` when the command returned no events."""
