"""Turning ``emit(delay=...)`` into an absolute UTC due time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .._context import NOT_BEFORE_HEADER
from .._errors import ConfigError

__all__ = ["NOT_BEFORE_HEADER", "due_time", "rfc3339"]

Delay = float | int | timedelta | datetime


def due_time(delay: Delay, now: datetime | None = None) -> datetime:
    """When a delayed event is due, as an aware UTC datetime.

    *delay* is seconds from now, a ``timedelta``, or an aware ``datetime`` (any time
    zone; it is converted to UTC). A naive datetime is refused: whether it meant
    local time or UTC cannot be known, and guessing wrong shifts the event by hours.
    """
    now = now or datetime.now(tz=UTC)
    if isinstance(delay, datetime):
        if delay.tzinfo is None or delay.utcoffset() is None:
            raise ConfigError(
                "delay is a naive datetime; pass an aware one, e.g. "
                "datetime.now(tz=UTC) + timedelta(minutes=5), or seconds as a number"
            )
        return delay.astimezone(UTC)
    if isinstance(delay, timedelta):
        seconds = delay.total_seconds()
    elif isinstance(delay, int | float) and not isinstance(delay, bool):
        seconds = float(delay)
    else:
        raise ConfigError(f"delay must be seconds, a timedelta or an aware datetime, got {delay!r}")
    if seconds < 0:
        raise ConfigError(f"delay must not be negative, got {seconds:g}s")
    return now + timedelta(seconds=seconds)


def rfc3339(moment: datetime) -> str:
    """``2026-11-29T06:46:18.280679Z``: the form ``Nats-Schedule: @at`` accepts."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
