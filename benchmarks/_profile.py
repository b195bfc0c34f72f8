"""``--profile``: where does the walnats side spend its time? (pyinstrument)"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from walnats.testing import NatsServer

from ._bench import Bench
from ._options import DEFAULT_JSON, Options
from ._runner import run_once
from ._scenario import Impl, Scenario, Skipped
from .scenarios import select

__all__ = ["profile"]


async def profile(options: Options) -> None:
    """Profile the measured part of one run of every walnats implementation selected.

    Only the timed part is sampled (setup such as filling streams is not), over the
    whole thread, so job workers and subscription tasks show up too. Writes
    ``profile-<scenario>-<impl>.{txt,html}`` next to the JSON results and prints the
    text trees. pyinstrument is not a dependency: ``.venv/bin/pip install pyinstrument``.
    """
    try:
        import pyinstrument  # noqa: F401 - only checking that it is installed
    except ModuleNotFoundError:
        sys.exit("--profile needs pyinstrument: .venv/bin/pip install pyinstrument")
    out = options.json_path.parent if options.json_path else DEFAULT_JSON.parent
    out.mkdir(parents=True, exist_ok=True)
    scenarios = [s for s in select(options.only) if isinstance(s, Scenario)]
    with NatsServer() as server:
        bench = Bench(server, options)
        await bench.open()
        try:
            for scenario in scenarios:
                n = scenario.size(options)
                for impl in scenario.impls:
                    if impl.side != "walnats":
                        continue
                    try:
                        await run_once(bench, impl, min(n, options.warmup_n))  # warm-up
                        profiler = await _profile_run(bench, impl, n)
                    except Skipped as skip:
                        print(f"=== {scenario.number} {scenario.key}: {impl.name}: skipped: {skip}")
                        continue
                    _write(out / _stem(scenario, impl), scenario, impl, profiler)
        finally:
            await bench.close()


async def _profile_run(bench: Bench, impl: Impl, n: int) -> Any:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0002, async_mode="disabled")

    def stop() -> None:
        profiler.stop()

    bench.on_start, bench.on_stop = profiler.start, stop
    try:
        await run_once(bench, impl, n)
    finally:
        bench.on_start = bench.on_stop = None
    return profiler


def _stem(scenario: Scenario, impl: Impl) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", impl.name.lower()).strip("-")
    return f"profile-{scenario.key}-{slug}"


def _write(stem: Path, scenario: Scenario, impl: Impl, profiler: Any) -> None:
    text: str = profiler.output_text(unicode=True, color=False)
    stem.with_suffix(".txt").write_text(text)
    stem.with_suffix(".html").write_text(profiler.output_html())
    print(f"=== {scenario.number} {scenario.key}: {impl.name} -> {stem}.html ===")
    print(text)
