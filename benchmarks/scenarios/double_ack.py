"""Scenario 4: consume with double ack (the server confirms every ack)."""

from __future__ import annotations

from .._bench import Bench
from .._meter import Sample
from .._scenario import Impl, Scenario, Target
from .consume import RAW, fetch_ack, walnats_actor

__all__ = ["SCENARIO"]

RAW_SYNC = "raw fetch + ack_sync"


async def _raw_sync(bench: Bench, n: int) -> Sample:
    return await fetch_ack(bench, n, ack_sync=True)


async def _raw(bench: Bench, n: int) -> Sample:
    return await fetch_ack(bench, n)


async def _walnats(bench: Bench, n: int) -> Sample:
    return await walnats_actor(bench, n, kind="double-ack-walnats", double_ack=True)


SCENARIO = Scenario(
    number=4,
    key="double-ack",
    title="consume, double ack",
    measures=(
        "Actor(double_ack=True) against raw fetch + ack_sync(); the target is against "
        "raw single-ack fetch + ack()."
    ),
    impls=(
        Impl(RAW, "raw", _raw),
        Impl(RAW_SYNC, "raw", _raw_sync),
        Impl(
            "walnats Actor double_ack",
            "walnats",
            _walnats,
            Target(">=", 0.60, RAW),
            compare=(RAW_SYNC,),
        ),
    ),
    size=lambda o: o.n,
)
