"""The example shop's demo runs end to end and tells what happened."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_demo__runs_end_to_end() -> None:
    """`scripts/demo`'s program exits 0 and shows every step of the flow."""
    result = subprocess.run(
        [sys.executable, "-m", "examples.shop.demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "duplicate=True" in out
    assert out.count("payments: charged") == 3
    assert out.count("notifications: told the customer") == 3
    assert "shipping answered: walrus-post" in out
    assert "reason 'undecodable'" in out
    assert "ship-order                   3" in out
    assert "one lost: ConcurrencyError" in out
    assert "reading only" in out
    assert "identical: True" in out
    assert "outbox: 5 confirmation e-mails" in out
