"""Progress of a catch-up or replay: events done out of total, rate and ETA."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._worker import PartitionWorker

__all__ = ["Progress", "ProgressMeter"]


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a replay (or a catch-up) is. ``str(progress)`` is a one-line summary."""

    projection: str
    version: int
    done: int
    """Messages applied (or stepped over by the partition) so far."""
    total: int
    """Messages to apply: those in the log after the start when the replay began."""
    elapsed: float
    """Seconds since the start."""
    finished: bool = False

    @property
    def rate(self) -> float:
        """Messages per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (``None`` before the first batch)."""
        if self.finished or self.done >= self.total:
            return 0.0
        rate = self.rate
        return (self.total - self.done) / rate if rate > 0 else None

    @property
    def fraction(self) -> float:
        """``done / total`` between 0 and 1."""
        return 1.0 if self.total <= 0 else min(self.done / self.total, 1.0)

    def __str__(self) -> str:
        eta = self.eta
        left = "?" if eta is None else f"{eta:.0f}s"
        return (
            f"{self.projection} v{self.version}: {self.done:,}/{self.total:,} events "
            f"({self.fraction:.0%}), {self.rate:,.0f}/s, ETA {left}"
        )


class ProgressMeter:
    """Sums the progress of a projection's partition workers for one callback."""

    def __init__(
        self,
        projection: str,
        version: int,
        callback: Callable[[Progress], None] | None,
        *,
        interval: float = 0.25,
    ) -> None:
        self._projection = projection
        self._version = version
        self._callback = callback
        self._interval = interval
        self._started = time.monotonic()
        self._last = 0.0
        self.workers: list[PartitionWorker] = []

    def current(self, *, finished: bool = False) -> Progress:
        """The progress now."""
        done = sum(w.done for w in self.workers)
        total = max(sum(w.expected for w in self.workers), done)
        return Progress(
            self._projection,
            self._version,
            done,
            total,
            time.monotonic() - self._started,
            finished,
        )

    def update(self, _worker: PartitionWorker | None = None) -> None:
        """Report, at most every *interval* seconds."""
        if self._callback is None:
            return
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            self._callback(self.current())

    def finish(self, workers: Iterable[PartitionWorker] = ()) -> Progress:
        """Report the final progress and return it."""
        if workers:
            self.workers = list(workers)
        final = self.current(finished=True)
        if self._callback is not None:
            self._callback(final)
        return final
