"""Programs written for walnats 1.x run unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from walnats.testing import unique_name

PROGRAM = Path(__file__).parent / "compat" / "program_1x.py"


def test_compat__readme_program_runs_unchanged(nats_url: str) -> None:
    """The 1.x README shape (declare, register, emit, listen) works and delivers to both actors."""
    env = {**os.environ, "NATS_URL": nats_url}
    result = subprocess.run(
        [sys.executable, str(PROGRAM), unique_name("user-registered")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "[('email', 'alice'), ('email', 'bob'), ('sms', 'alice'), ('sms', 'bob')]"
    )
    assert result.stderr == ""
