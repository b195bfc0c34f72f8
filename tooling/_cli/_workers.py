"""``walnats run --workers N``: N processes sharing each actor's durable consumer.

Workers are fresh interpreters running ``walnats run`` for the same APP (a re-exec,
not ``fork``: no event loop, thread pool or NATS socket is inherited half-alive). A
durable pull consumer hands each message to one puller, so the workers split the load
without any coordination. Each worker runs in its own process group: Ctrl-C reaches
only this supervisor, which forwards the signal once, so every worker drains exactly
once, and the supervisor waits for all of them.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from .._app import AppSpec
from ._common import CommandError

__all__ = ["supervise"]

logger = logging.getLogger("walnats.cli")

_GRACE = 30.0
"""Seconds on top of the actors' stop timeout before a stuck worker is killed."""
_POLL = 0.1


def supervise(spec: AppSpec, url: str, args: argparse.Namespace) -> int:
    """Start ``args.workers`` workers, forward SIGINT/SIGTERM, and wait for them.

    Raises:
        CommandError: a worker exited on its own; the others were stopped.
    """
    received: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if not received:
            received.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        workers = [
            subprocess.Popen(  # noqa: S603 - our own interpreter and module
                _command(spec, url, args, index), process_group=0
            )
            for index in range(1, args.workers + 1)
        ]
        failed = _wait(workers, received)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed is not None:
        index, code = failed
        raise CommandError(
            f"worker {index} exited with status {code}; stopped the other workers. "
            f"Its log lines above say why"
        )
    codes = [worker.returncode for worker in workers]
    logger.info("all %d workers stopped", len(workers), extra={"exit_codes": codes})
    return 0 if all(code == 0 for code in codes) else 1


def _command(spec: AppSpec, url: str, args: argparse.Namespace, index: int) -> list[str]:
    command = [sys.executable, "-m", "tooling", "run", str(spec), "--url", url]
    command += ["--connect-timeout", str(args.connect_timeout)]
    command += ["--log-format", args.log_format, "--log-level", args.log_level]
    if args.db:
        command += ["--db", args.db]
    command += ["--worker-index", str(index), "--supervisor", str(os.getpid())]
    if getattr(args, "debug", False):
        command.append("--debug")
    return command


def _wait(workers: list[subprocess.Popen[bytes]], received: list[int]) -> tuple[int, int] | None:
    """Wait for every worker; return ``(index, status)`` of one that quit unasked."""
    failed: tuple[int, int] | None = None
    forwarded = False
    deadline: float | None = None
    while True:
        alive = [worker for worker in workers if worker.poll() is None]
        if not received:
            for index, worker in enumerate(workers, start=1):
                if worker.returncode is not None:
                    failed = (index, worker.returncode)
                    received.append(signal.SIGTERM)
                    break
        if not alive:
            return failed
        if received and not forwarded:
            forwarded = True
            deadline = time.monotonic() + _GRACE
            logger.info("stopping %d workers", len(workers))
            for worker in workers:
                if worker.poll() is None:
                    worker.send_signal(received[0])
        if deadline is not None and time.monotonic() > deadline:
            for worker in workers:
                if worker.poll() is None:
                    logger.warning("worker pid %s did not stop in time; killing it", worker.pid)
                    worker.kill()
            deadline = None
        time.sleep(_POLL)
