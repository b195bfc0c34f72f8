"""Running the real ``walnats`` console script in a subprocess, for the CLI tests."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = "tests.tooling.app_fixture:services"
ES_APP = "tests.tooling.app_fixture:es_services"
SCHEMA = Path(__file__).with_name("data") / "asyncapi-3.0.0.schema.json"


def command() -> list[str]:
    """The console script next to this interpreter, else ``python -m tooling``."""
    script = Path(sys.executable).with_name("walnats")
    if script.is_file():
        return [str(script)]
    found = shutil.which("walnats")
    return [found] if found else [sys.executable, "-m", "tooling"]


def environment(**extra: str) -> dict[str, str]:
    """The test's environment without NATS_URL / WALNATS_APP, plus *extra*."""
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "WALNATS_APP")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def suffix() -> str:
    """A fresh name suffix for the fixture app (kebab-case, short)."""
    return uuid.uuid4().hex[:8]


def walnats(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run ``walnats ARGS...`` to completion."""
    return subprocess.run(
        [*command(), *args],
        cwd=cwd,
        env=env or environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Running:
    """A ``walnats`` process that runs until signalled, with its output collected."""

    def __init__(self, *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None):
        self.proc = subprocess.Popen(
            [*command(), *args],
            cwd=cwd,
            env=env or environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._pump, args=(name, pipe, sink), daemon=True)
            for name, pipe, sink in (
                ("stdout", self.proc.stdout, self.stdout),
                ("stderr", self.proc.stderr, self.stderr),
            )
        ]
        for thread in self._threads:
            thread.start()

    def _pump(self, name: str, pipe: object, sink: list[str]) -> None:
        for line in pipe:  # type: ignore[attr-defined]
            sink.append(line.rstrip("\n"))
            self._lines.put((name, line))

    def wait_for(self, text: str, timeout: float = 15) -> str:
        """The first output line (stdout or stderr) containing *text*."""
        for line in self.stdout + self.stderr:
            if text in line:
                return line
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                _, line = self._lines.get(timeout=0.1)
            except queue.Empty:
                # Output ends when every writer is gone (workers outlive a killed parent).
                if not any(t.is_alive() for t in self._threads) and self._lines.empty():
                    break
                continue
            if text in line:
                return line.rstrip("\n")
        raise AssertionError(
            f"{text!r} did not appear; stdout={self.stdout!r} stderr={self.stderr!r}"
        )

    def stop(self, sig: signal.Signals = signal.SIGINT, timeout: float = 20) -> int:
        """Send *sig*, wait for the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        self._close()
        return code

    def kill(self) -> None:
        """Stop it if it still runs (SIGTERM, so a supervisor stops its workers, then
        SIGKILL), and close the pipes (test teardown)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._close()

    def _close(self) -> None:
        for thread in self._threads:
            thread.join(5)  # the readers stop at end of file: every line is collected
        if any(thread.is_alive() for thread in self._threads):
            # A straggler (a worker) still writes; closing a pipe under a blocked
            # reader would deadlock, so the daemon reader keeps it.
            return
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()
