"""mypy accepts correct use of the projections API and rejects mismatched types."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "typecheck"
ROOT = Path(__file__).parents[2]


def run_mypy(*paths: Path) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    return result.stdout


@pytest.mark.slow
def test_typing__aggregates_type_check_end_to_end() -> None:
    """pass_aggregates.py is clean; fail_aggregates.py fails on exactly the E lines."""
    fail = HERE / "fail_aggregates.py"
    output = run_mypy(HERE / "pass_aggregates.py", fail)
    assert "pass_aggregates.py" not in output, output
    expected = {
        number
        for number, line in enumerate(fail.read_text().splitlines(), start=1)
        if "# E:" in line
    }
    reported = {int(m.group(1)) for m in re.finditer(r"fail_aggregates\.py:(\d+): error", output)}
    assert reported == expected, output
