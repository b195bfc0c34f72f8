"""What a scenario is: numbered, with implementations to compare and targets to meet."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ._bench import Bench
    from ._meter import Sample
    from ._options import Options

__all__ = ["Impl", "Metric", "Pending", "Scenario", "Side", "Skipped", "Target"]

Side = Literal["raw", "low-level", "walnats"]
"""``raw``: nats-py's own helpers (what the targets compare against);
``low-level``: hand-written code on nats-py's core API (the practical limit);
``walnats``: the framework."""

Metric = Literal["rate", "latency", "memory"]
RunFn = Callable[["Bench", int], Awaitable["Sample"]]
"""Runs one implementation once over *n* events and returns the measurements."""


class Skipped(Exception):
    """Raised by an implementation that cannot run here (e.g. PostgreSQL is unreachable).

    The runner stops running it, and its row says ``skipped: <reason>`` instead of
    failing the whole benchmark run.
    """


@dataclass(frozen=True)
class Target:
    """A goal from the issue, checked on the median of the measured rounds.

    With a *reference*, the checked number is ``walnats / reference`` of the
    scenario's metric (events/s, or p50 latency); without one it is an absolute
    number of the walnats row itself (RSS growth in MB).
    """

    op: Literal[">=", "<="]
    value: float
    reference: str | None = None
    """Name of the implementation the ratio is taken against."""

    def met(self, number: float) -> bool:
        """Whether *number* satisfies the target."""
        return number >= self.value if self.op == ">=" else number <= self.value

    def __str__(self) -> str:
        sign = "≥" if self.op == ">=" else "≤"
        return f"{sign}{self.value:g}"


@dataclass(frozen=True)
class Impl:
    """One implementation of a scenario: walnats, or a hand-written reference."""

    name: str
    side: Side
    run: RunFn
    target: Target | None = None
    compare: tuple[str, ...] = ()
    """Further implementations to show this one's ratio against (e.g. the limit)."""


@dataclass(frozen=True)
class Scenario:
    """A numbered benchmark from the issue, run alternately for all its implementations."""

    number: int
    key: str
    """Short name for ``--only``."""
    title: str
    measures: str
    """One sentence for the docs and the table footer."""
    impls: tuple[Impl, ...]
    size: Callable[[Options], int]
    """Events per measured run."""
    metric: Metric = "rate"
    rounds: Callable[[Options], int] | None = None
    """Measured rounds; default ``options.rounds``."""
    warmup: bool = True
    unit: str = "events/s"
    """What the rate counts, when it is not events (e.g. ``loads/s``)."""


@dataclass(frozen=True)
class Pending:
    """A scenario of the issue that waits for a part of walnats not written yet."""

    number: int
    key: str
    title: str
    waits_for: str
