"""Stream limits: how much of the event log the server keeps."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ._errors import ConfigError

__all__ = ["Limits"]

_AGE_UNIT_HINT = 1e9  # an "age" this large is almost surely milliseconds or nanoseconds


@dataclass(frozen=True)
class Limits:
    """Limits of the stream that stores an event.

    When a limit is reached the server discards the **oldest** events, so the limits
    decide how far back actors, projections and replays can read. ``None`` means
    "no limit". The defaults keep everything: the stream is the event log.
    """

    age: float | None = None
    """Maximum age of an event in **seconds** before the server deletes it."""

    consumers: int | None = None
    """Maximum number of consumers (actors) the stream accepts."""

    messages: int | None = None
    """Maximum number of events kept in the stream."""

    bytes: int | None = None
    """Maximum total size of the stream in bytes."""

    message_size: int | None = None
    """Maximum size of one event in bytes; a larger emit is rejected by the server."""

    messages_per_subject: int | None = None
    """Maximum number of events kept per subject (per aggregate for aggregate events)."""

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"Limits.{field.name} must be a number or None, got {value!r}")
            if value <= 0:
                raise ConfigError(f"Limits.{field.name} must be > 0 or None, got {value!r}")
        if self.age is not None and self.age >= _AGE_UNIT_HINT:
            raise ConfigError(
                f"Limits.age={self.age!r} is over 31 years; age is in seconds, "
                f"not milliseconds or nanoseconds"
            )

    def evolve(self, **changes: Any) -> Limits:
        """Return a copy with some limits changed."""
        return dataclasses.replace(self, **changes)

    def stream_fields(self) -> dict[str, Any]:
        """The matching ``StreamConfig`` fields (``-1`` is the server's "no limit")."""
        return {
            "max_age": self.age if self.age is not None else 0,
            "max_consumers": self.consumers if self.consumers is not None else -1,
            "max_msgs": self.messages if self.messages is not None else -1,
            "max_bytes": self.bytes if self.bytes is not None else -1,
            "max_msg_size": self.message_size if self.message_size is not None else -1,
            "max_msgs_per_subject": (
                self.messages_per_subject if self.messages_per_subject is not None else -1
            ),
        }
