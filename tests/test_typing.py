"""The types are part of the API: mypy accepts correct use and rejects misuse."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "typing"


def run_mypy(path: Path) -> tuple[int, str]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "--config-file",
            str(HERE.parent.parent / "pyproject.toml"),
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stdout


@pytest.mark.slow
def test_typing__correct_use_passes() -> None:
    """Handlers, emits and requests with matching types type-check cleanly."""
    code, output = run_mypy(HERE / "pass_api.py")
    assert code == 0, output


@pytest.mark.slow
def test_typing__misuse_is_rejected() -> None:
    """Every line marked `# E:` is an error, and no other line is."""
    path = HERE / "fail_api.py"
    expected = {
        number
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "# E:" in line
    }
    code, output = run_mypy(path)
    reported = {int(m.group(1)) for m in re.finditer(r"fail_api\.py:(\d+): error", output)}
    assert code == 1, output
    assert reported == expected, output
