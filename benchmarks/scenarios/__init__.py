"""The scenarios of issue 7, in the issue's numbering.

To add one: write a module exposing a ``SCENARIO = Scenario(...)`` whose
implementations are ``async (bench, n) -> Sample`` functions, one per side (raw
nats-py helper, low-level reference, walnats), and list it below (a scenario waiting
for a part of walnats not written yet is listed as ``Pending(...)`` meanwhile). The
runner alternates the implementations, the table and the JSON pick the new rows up
without further changes. An implementation that cannot run on this machine (e.g.
PostgreSQL is unreachable) raises ``Skipped``; its row then says why.
"""

from __future__ import annotations

from .._scenario import Pending, Scenario
from . import aggregate, consume, double_ack, emit, latency, memory, pipelined, projection, replay

__all__ = ["ALL", "select"]

ALL: tuple[Scenario | Pending, ...] = (
    emit.SCENARIO,
    pipelined.SCENARIO,
    consume.SCENARIO,
    double_ack.SCENARIO,
    latency.SCENARIO,
    projection.SCENARIO,
    replay.SCENARIO,
    aggregate.SCENARIO,
    memory.SCENARIO,
)


def select(names: tuple[str, ...]) -> list[Scenario | Pending]:
    """Scenarios matching *names* (keys or numbers); all when *names* is empty.

    Raises:
        ValueError: a name matches no scenario.
    """
    if not names:
        return list(ALL)
    chosen: list[Scenario | Pending] = []
    for name in names:
        found = [s for s in ALL if name in (s.key, str(s.number))]
        if not found:
            keys = ", ".join(f"{s.number}/{s.key}" for s in ALL)
            raise ValueError(f"unknown scenario {name!r}; choose from {keys}")
        chosen.extend(f for f in found if f not in chosen)
    return sorted(chosen, key=lambda s: s.number)
