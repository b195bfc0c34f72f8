"""The projections API is typed: mypy accepts correct use and rejects misuse."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "typing"
ROOT = Path(__file__).parents[2]


@pytest.mark.slow
def test_typing__handlers_must_match_their_event() -> None:
    """read_pass.py type-checks; in read_fail.py exactly the lines marked `# E:` fail."""
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
            str(HERE / "read_pass.py"),
            str(HERE / "read_fail.py"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    fail = HERE / "read_fail.py"
    expected = {
        n for n, line in enumerate(fail.read_text().splitlines(), start=1) if "# E:" in line
    }
    reported = {int(m) for m in re.findall(r"read_fail\.py:(\d+): error", result.stdout)}
    assert "read_pass.py" not in result.stdout, result.stdout
    assert reported == expected, result.stdout
