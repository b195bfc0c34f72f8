"""Periodic events: a :class:`Clock` emits one event per period, from any number of processes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ._errors import ConfigError, WalnatsError
from ._events._event import Event
from ._names import check_description, check_name

if TYPE_CHECKING:
    from ._events._connected import ConnectedEvents

__all__ = ["MIN_DUPLICATE_WINDOW", "Clock", "tick_start"]

logger = logging.getLogger("walnats")

MIN_DUPLICATE_WINDOW = 10.0
"""Seconds of duplicate window a clock's event needs at least.

Clocks in several processes emit the same tick with the same id, each by its own wall
clock; the stream drops all but the first only if they arrive within the window. Ten
seconds covers NTP-synchronized hosts, a slow emit and an event-loop stall with room
to spare; the default of 120 s is better.
"""

_MINUTE_PASSED: Event[datetime] = Event(
    "minute-passed", datetime, description="A minute started (UTC, aligned to the minute)."
)


def tick_start(now: float, period: int) -> int:
    """The Unix time of the start of the period that contains *now*.

    Periods are aligned to the Unix epoch in UTC: with ``period=60`` ticks fall on the
    minute, with ``period=3600`` on the hour, with ``period=86400`` at midnight UTC.
    """
    return int(now // period) * period


@dataclass(frozen=True)
class Clock:
    """Emit *event* once per *period*, with the period's start as payload.

    Run a clock in every instance of a service; the ticks are not multiplied::

        CLOCK = walnats.Clock(period=60)          # emits "minute-passed" every minute

        async with walnats.Events(CLOCK.event).connect() as conn:
            await conn.register()
            await CLOCK.run(conn)                 # until cancelled

    Every process computes the same tick (the period start, aligned to the Unix epoch
    in UTC) and emits it with the same id, ``<event name>.<unix seconds>``; the stream
    stores the first copy and drops the others inside its ``duplicate_window``. So two
    or more clocks give high availability: one dying does not stop the ticks.

    Handlers receive the tick as an aware UTC ``datetime``; filter it for cron-like
    schedules (``if tick.hour != 3: return``).
    """

    event: Event[datetime] = _MINUTE_PASSED
    """The event to emit; its payload type must be ``datetime``.

    Its ``duplicate_window`` must be at least :data:`MIN_DUPLICATE_WINDOW` seconds.
    """

    meta: Mapping[str, str] | None = None
    """Extra headers for every tick."""

    period: float = 60
    """Seconds between ticks: a whole number, at least 1. Ticks are aligned to it."""

    name: str = ""
    """Name in diagrams and AsyncAPI documents; defaults to ``clock-<event name>``."""

    description: str | None = None
    """What the clock is for, for humans."""

    _period: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", f"clock-{self.event.name}")
        check_name("clock", self.name)
        check_description("clock", self.name, self.description)
        if not isinstance(self.event, Event):
            raise ConfigError(f"clock {self.name!r}: event must be a walnats.Event")
        period = self.period
        if (
            isinstance(period, bool)
            or not isinstance(period, int | float)
            or period < 1
            or not float(period).is_integer()
        ):
            raise ConfigError(
                f"clock {self.name!r}: period must be a whole number of seconds >= 1, "
                f"got {period!r}"
            )
        object.__setattr__(self, "_period", int(period))
        window = self.event.duplicate_window
        if window < MIN_DUPLICATE_WINDOW:
            raise ConfigError(
                f"clock {self.name!r}: event {self.event.name!r} has a duplicate_window of "
                f"{window:g}s; clocks in several processes need at least "
                f"{MIN_DUPLICATE_WINDOW:g}s to cover their clock skew, or a tick is stored "
                f"twice. Keep the default (120s) or raise it."
            )

    @property
    def events(self) -> tuple[Event[datetime]]:
        """The events this clock emits, for ``Services.add(owns=[clock])``."""
        return (self.event,)

    def uid(self, start: int) -> str:
        """The message id of the tick starting at Unix time *start*."""
        return f"{self.event.name}.{start}"

    async def run(self, conn: ConnectedEvents, burst: bool = False) -> None:
        """Emit a tick at every period boundary until cancelled.

        On start, the current tick is emitted at once if its boundary passed less than
        half the duplicate window ago (the stream drops it if another clock emitted it
        already); an older one is skipped, since re-emitting it could store it twice.
        Then every tick is emitted at its boundary. Sleeping targets the next boundary
        on the wall clock, so ticks do not drift; after a suspension only the latest
        missed tick is emitted.

        An emit that fails (server down, stream missing) is logged and the clock goes
        on with the next tick; it is not retried within the period. Run a second
        clock elsewhere for ticks that must not be missed. Cancel the task to stop.

        Args:
            conn: the publisher connection; the event's stream must be registered.
            burst: emit the current tick once and return, e.g. from a cron job or a
                test. An emit error is raised, not logged.

        Raises:
            WalnatsError: with *burst*, the tick could not be emitted.
        """
        period = self._period
        tick = tick_start(time.time(), period)
        if burst:
            await self._emit(conn, tick)
            return
        horizon = self.event.duplicate_window / 2
        first = True
        while True:
            # Sleep until the wall clock reaches the tick. asyncio may wake a little
            # early and the wall clock may be stepped, hence the loop.
            while (wait := tick - time.time()) > 0:  # noqa: ASYNC110 - waits for the wall clock
                await asyncio.sleep(wait)
            late = time.time() - tick
            if late < horizon:
                try:
                    await self._emit(conn, tick)
                except WalnatsError as exc:
                    logger.error("clock %s: tick %s was not emitted: %s", self.name, tick, exc)
                except Exception:  # a surprise must not stop the ticks either
                    logger.exception("clock %s: tick %s was not emitted", self.name, tick)
            elif not first:  # on start, an old tick is skipped as a matter of course
                logger.warning(
                    "clock %s: skipped tick %s: it is %.0fs late, and emitting it could "
                    "store it twice (half the duplicate window is %.0fs)",
                    self.name,
                    tick,
                    late,
                    horizon,
                )
            first = False
            tick = max(tick + period, tick_start(time.time(), period))

    async def _emit(self, conn: ConnectedEvents, tick: int) -> None:
        payload = datetime.fromtimestamp(tick, tz=UTC)
        sent = await conn.emit(self.event, payload, uid=self.uid(tick), meta=self.meta)
        logger.debug(
            "clock %s: tick %s %s",
            self.name,
            payload.isoformat(),
            "was already emitted" if sent.duplicate else "emitted",
        )
