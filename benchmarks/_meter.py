"""Measuring one run: wall time, CPU of this process and of nats-server, peak RSS."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Meter", "Sample", "process_cpu_seconds", "rss_bytes"]

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_RSS_INTERVAL = 0.02
"""Seconds between RSS samples; a file read every 20 ms costs nothing measurable."""


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process *pid*, from ``/proc/<pid>/stat``.

    The resolution is one clock tick (10 ms), so the server's share is reliable only
    over runs of a few hundred milliseconds or more.
    """
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    # The command name (field 2) may contain spaces; fields after it are fixed.
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_bytes(pid: int | None = None) -> int:
    """Current resident set size of *pid* (default: this process)."""
    path = f"/proc/{pid}/statm" if pid else "/proc/self/statm"
    with open(path, "rb") as f:
        return int(f.read().split()[1]) * _PAGE


@dataclass
class Sample:
    """What one measured run of one implementation produced."""

    events: int
    seconds: float
    cpu_py: float
    """CPU seconds of the Python process during the run."""
    cpu_server: float
    """CPU seconds of nats-server during the run."""
    rss_start: int
    rss_peak: int
    """Largest RSS of the Python process sampled during the run."""
    rss_end: int
    extra: dict[str, float] = field(default_factory=dict)
    """Scenario-specific numbers, e.g. latency percentiles or RSS checkpoints."""

    @property
    def rate(self) -> float:
        """Events per second."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


class Meter:
    """Start it right before the measured work and stop it right after.

    ``start()`` may be called many times; only the first call counts, so a handler
    can call it on the first message it sees. *on_start* and *on_stop* run at the
    edges of the measured part (``--profile`` starts and stops a profiler there).
    """

    def __init__(
        self,
        server_pid: int,
        *,
        on_start: Callable[[], None] | None = None,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        self._server_pid = server_pid
        self._on_start = on_start
        self._on_stop = on_stop
        self._started = False
        self._t0 = self._cpu0 = self._srv0 = 0.0
        self._rss0 = self._peak = 0
        self._sampler: asyncio.Task[None] | None = None
        self.checkpoints: dict[str, float] = {}

    @property
    def started(self) -> bool:
        """Whether :meth:`start` was called."""
        return self._started

    def start(self) -> None:
        """Take the starting readings (once) and begin sampling RSS."""
        if self._started:
            return
        self._started = True
        self._rss0 = self._peak = rss_bytes()
        self._srv0 = process_cpu_seconds(self._server_pid)
        self._sampler = asyncio.get_running_loop().create_task(self._sample_rss())
        if self._on_start is not None:
            self._on_start()
        self._cpu0 = time.process_time()
        self._t0 = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since :meth:`start`."""
        return time.perf_counter() - self._t0

    def checkpoint(self, name: str) -> None:
        """Record the RSS (``rss_<name>_mb``) and the number of live Python heap blocks
        (``blocks_<name>``, which shows leaked objects even while RSS looks flat)."""
        self.checkpoints[f"rss_{name}_mb"] = rss_bytes() / 1e6
        self.checkpoints[f"blocks_{name}"] = sys.getallocatedblocks()

    async def stop(self, events: int) -> Sample:
        """Take the final readings for a run that handled *events* events."""
        seconds = time.perf_counter() - self._t0
        cpu = time.process_time() - self._cpu0
        srv = process_cpu_seconds(self._server_pid) - self._srv0
        rss = rss_bytes()
        if self._on_stop is not None:
            self._on_stop()
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
        return Sample(
            events=events,
            seconds=seconds,
            cpu_py=cpu,
            cpu_server=srv,
            rss_start=self._rss0,
            rss_peak=max(self._peak, rss),
            rss_end=rss,
            extra=dict(self.checkpoints),
        )

    async def _sample_rss(self) -> None:
        while True:
            await asyncio.sleep(_RSS_INTERVAL)
            self._peak = max(self._peak, rss_bytes())
