"""The types are part of the API: mypy accepts correct use and rejects misuse.

One mypy run checks every pair of files: the ``pass`` files must be clean, and in each
``fail`` file exactly the lines marked ``# E:`` must be errors.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
ROOT = TESTS.parent
PASSING = [
    TESTS / "typing" / "pass_api.py",
    TESTS / "projections" / "typecheck" / "pass_aggregates.py",
    TESTS / "read_models" / "typing" / "read_pass.py",
]
FAILING = [
    TESTS / "typing" / "fail_api.py",
    TESTS / "projections" / "typecheck" / "fail_aggregates.py",
    TESTS / "read_models" / "typing" / "read_fail.py",
]


@pytest.fixture(scope="module")
def mypy_output() -> str:
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
            *map(str, PASSING + FAILING),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    return result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("path", PASSING, ids=lambda p: p.name)
def test_typing__correct_use_passes(mypy_output: str, path: Path) -> None:
    """Handlers, emits, requests, aggregates and projections with matching types are clean."""
    assert f"{path.name}:" not in mypy_output, mypy_output


@pytest.mark.slow
@pytest.mark.parametrize("path", FAILING, ids=lambda p: p.name)
def test_typing__misuse_is_rejected(mypy_output: str, path: Path) -> None:
    """Every line marked `# E:` is an error, and no other line is."""
    expected = {
        number
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "# E:" in line
    }
    pattern = rf"{re.escape(path.name)}:(\d+): error"
    reported = {int(m) for m in re.findall(pattern, mypy_output)}
    assert reported == expected, mypy_output
