"""Summaries of the measured rounds: medians, ratios, targets, JSON."""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass, field
from typing import Any

from ._meter import Sample
from ._scenario import Impl, Pending, Scenario, Target

__all__ = ["Check", "ImplResult", "Report", "ScenarioResult"]


@dataclass
class ImplResult:
    """All measured samples of one implementation."""

    impl: Impl
    samples: list[Sample] = field(default_factory=list)
    skipped: str | None = None
    """Why the implementation could not run here (it has no samples then)."""

    @property
    def rates(self) -> list[float]:
        """Events per second of each round."""
        return [s.rate for s in self.samples]

    @property
    def rate(self) -> float:
        """Median events per second."""
        return statistics.median(self.rates)

    @property
    def cpu_py_us(self) -> float:
        """Median CPU microseconds per event of the Python process."""
        return statistics.median(s.cpu_py / s.events * 1e6 for s in self.samples)

    @property
    def cpu_server_us(self) -> float:
        """Median CPU microseconds per event of nats-server."""
        return statistics.median(s.cpu_server / s.events * 1e6 for s in self.samples)

    @property
    def rss_peak_mb(self) -> float:
        """Largest RSS of the Python process seen in any round."""
        return max(s.rss_peak for s in self.samples) / 1e6

    def extra(self, key: str) -> float | None:
        """Median of a scenario-specific number over the rounds, if recorded."""
        values = [s.extra[key] for s in self.samples if key in s.extra]
        return statistics.median(values) if values else None


@dataclass(frozen=True)
class Check:
    """A target evaluated on the measurements."""

    number: float
    """The ratio (or, without a reference, the absolute number) that was checked."""
    target: Target

    @property
    def met(self) -> bool:
        """Whether the target is reached."""
        return self.target.met(self.number)


@dataclass
class ScenarioResult:
    """One scenario's implementations and what they measured."""

    scenario: Scenario
    impls: list[ImplResult]

    def get(self, name: str) -> ImplResult:
        """The result of the implementation called *name*."""
        for result in self.impls:
            if result.impl.name == name:
                return result
        raise KeyError(name)

    def value(self, result: ImplResult) -> float:
        """The scenario's headline number: events/s, p50 latency, or RSS growth."""
        return statistics.median(self._values(result))

    def _values(self, result: ImplResult) -> list[float]:
        """The headline number of each round."""
        metric = self.scenario.metric
        if metric == "latency":
            return [s.extra.get("p50_ms", 0.0) for s in result.samples]
        if metric == "memory" and result.impl.target is not None:
            return [s.extra.get("growth_mb", 0.0) for s in result.samples]
        return result.rates

    def ratio(self, result: ImplResult, other: str) -> float:
        """*result* relative to *other*: the median of the per-round ratios.

        Both ran in the same round, one right after the other, so pairing them
        cancels most of the drift a busy machine causes between rounds.
        """
        pairs = zip(self._values(result), self._values(self.get(other)), strict=False)
        ratios = [mine / theirs for mine, theirs in pairs if theirs]
        return statistics.median(ratios) if ratios else float("nan")

    def check(self, result: ImplResult) -> Check | None:
        """The target of *result*, evaluated; ``None`` when it has none."""
        target = result.impl.target
        if target is None or result.skipped is not None:
            return None
        if target.reference is None:
            return Check(self.value(result), target)
        return Check(self.ratio(result, target.reference), target)

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the results file."""
        rows: list[dict[str, Any]] = []
        for result in self.impls:
            if result.skipped is not None:
                rows.append(
                    {
                        "impl": result.impl.name,
                        "side": result.impl.side,
                        "skipped": result.skipped,
                    }
                )
                continue
            check = self.check(result)
            extras = sorted({k for s in result.samples for k in s.extra})
            rows.append(
                {
                    "impl": result.impl.name,
                    "side": result.impl.side,
                    "rate": {
                        "median": result.rate,
                        "min": min(result.rates),
                        "max": max(result.rates),
                        "rounds": result.rates,
                    },
                    "cpu_us_per_event": {
                        "python": result.cpu_py_us,
                        "server": result.cpu_server_us,
                    },
                    "rss_peak_mb": result.rss_peak_mb,
                    "extra": {k: result.extra(k) for k in extras},
                    "target": None
                    if check is None
                    else {
                        "reference": check.target.reference,
                        "op": check.target.op,
                        "value": check.target.value,
                        "measured": check.number,
                        "met": check.met,
                    },
                    "compare": {
                        name: self.ratio(result, name)
                        for name in result.impl.compare
                        if self.get(name).skipped is None
                    },
                    "samples": [dataclasses.asdict(s) for s in result.samples],
                }
            )
        return {
            "number": self.scenario.number,
            "key": self.scenario.key,
            "title": self.scenario.title,
            "metric": self.scenario.metric,
            "unit": self.scenario.unit,
            "measures": self.scenario.measures,
            "rows": rows,
        }


@dataclass
class Report:
    """Everything one ``python -m benchmarks`` run measured."""

    meta: dict[str, Any]
    results: list[ScenarioResult] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the results file."""
        return {
            "meta": self.meta,
            "scenarios": [r.to_json() for r in self.results],
            "pending": [dataclasses.asdict(p) for p in self.pending],
        }
