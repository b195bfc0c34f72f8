"""``python -m benchmarks``: run, print the table, write the JSON results."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable

from ._options import Options, parse_args
from ._runner import run
from ._table import render


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    options = parse_args(argv)
    loop_factory = _loop_factory(options)
    if options.profile:
        from ._profile import profile

        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(profile(options))
        return 0
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        report = runner.run(run(options))
    print(render(report))
    if options.json_path is not None:
        options.json_path.parent.mkdir(parents=True, exist_ok=True)
        options.json_path.write_text(json.dumps(report.to_json(), indent=2) + "\n")
        print(f"\nresults written to {options.json_path}")
    return 0


def _loop_factory(options: Options) -> Callable[[], asyncio.AbstractEventLoop] | None:
    if options.loop == "asyncio":
        return None
    try:
        import uvloop
    except ModuleNotFoundError:
        sys.exit("--loop uvloop needs uvloop: .venv/bin/pip install uvloop")
    return uvloop.new_event_loop


if __name__ == "__main__":
    sys.exit(main())
