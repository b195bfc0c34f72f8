"""Command-line options of ``python -m benchmarks``."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["Options", "parse_args"]

Loop = Literal["asyncio", "uvloop"]
Storage = Literal["file", "memory"]
DEFAULT_JSON = Path(__file__).parent / "results" / "latest.json"


@dataclass(frozen=True)
class Options:
    """How big and how often; ``--quick`` scales everything down to under a minute."""

    n: int = 20_000
    """Events per measured run in the throughput scenarios."""
    rounds: int = 5
    """Measured rounds; each round runs every implementation once, in rotated order."""
    warmup_n: int = 2_000
    """Events per implementation in the unmeasured warm-up round."""
    loop: Loop = "asyncio"
    storage: Storage = "file"
    quick: bool = False
    json_path: Path | None = DEFAULT_JSON
    only: tuple[str, ...] = ()
    fetch_batch: int = 100
    """``batch`` of the raw ``fetch()`` reference."""
    concurrency: int = 256
    """Concurrent ``emit()`` callers in the pipelined-emit scenario."""
    latency_events: int = 1_000
    latency_interval: float = 0.002
    """Seconds between two events in the latency scenario."""
    memory_events: int = 1_000_000
    replay_events: int = 100_000
    """Stored events a projection replays in the replay scenario."""
    profile: bool = False
    """Profile the walnats implementations with pyinstrument instead of timing."""

    def scaled(self) -> Options:
        """The options after ``--quick`` was applied."""
        if not self.quick:
            return self
        return dataclasses.replace(
            self,
            n=min(self.n, 5_000),
            rounds=min(self.rounds, 3),
            warmup_n=500,
            latency_events=min(self.latency_events, 250),
            memory_events=min(self.memory_events, 50_000),
            replay_events=min(self.replay_events, 20_000),
        )


def parse_args(argv: list[str] | None = None) -> Options:
    """Parse the command line (see ``python -m benchmarks --help``)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="walnats against hand-written nats-py code, in the same run.",
    )
    parser.add_argument("--n", type=int, default=Options.n, help="events per run (20000)")
    parser.add_argument("--rounds", type=int, default=Options.rounds, help="measured rounds (5)")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument(
        "--storage",
        choices=["file", "memory"],
        default="file",
        help="JetStream storage of the benchmark streams (file, like production)",
    )
    parser.add_argument("--quick", action="store_true", help="small N and 3 rounds: < 1 minute")
    parser.add_argument(
        "--json",
        dest="json_path",
        type=Path,
        default=DEFAULT_JSON,
        help="where to write the results (benchmarks/results/latest.json)",
    )
    parser.add_argument("--no-json", action="store_true", help="do not write results")
    parser.add_argument(
        "--only", nargs="+", default=[], metavar="NAME", help="scenario keys or numbers"
    )
    parser.add_argument("--fetch-batch", type=int, default=Options.fetch_batch)
    parser.add_argument("--concurrency", type=int, default=Options.concurrency)
    parser.add_argument("--latency-events", type=int, default=Options.latency_events)
    parser.add_argument("--memory-events", type=int, default=Options.memory_events)
    parser.add_argument("--replay-events", type=int, default=Options.replay_events)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the walnats side of the selected scenarios with pyinstrument",
    )
    args = parser.parse_args(argv)
    for name in (
        "n",
        "rounds",
        "fetch_batch",
        "concurrency",
        "latency_events",
        "memory_events",
        "replay_events",
    ):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    options = Options(
        n=args.n,
        rounds=args.rounds,
        loop=args.loop,
        storage=args.storage,
        quick=args.quick,
        json_path=None if args.no_json else args.json_path,
        only=tuple(args.only),
        fetch_batch=args.fetch_batch,
        concurrency=args.concurrency,
        latency_events=args.latency_events,
        memory_events=args.memory_events,
        replay_events=args.replay_events,
        profile=args.profile,
    )
    return options.scaled()
