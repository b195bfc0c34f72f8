"""``walnats run``: run the app's actors until SIGINT or SIGTERM, then drain."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Coroutine
from typing import Any

from walnats import Services

from .._app import load_app
from .._embedded import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_STORE, embedded_server, is_listening
from .._flow import Component, components_of
from ._common import CommandError, Subparsers, add_app, add_connection, positive_int
from ._logs import LEVELS, setup_logging
from ._serving import Plan, serve
from ._toolkit import add_db
from ._workers import supervise

__all__ = ["register"]

logger = logging.getLogger("walnats.cli")

_STRAY_THREAD_GRACE = 5.0
"""Seconds threads left after the drain get before ``run`` exits without them."""
_READ_SIDE = frozenset({"projection", "reactor", "clock"})
"""Components run next to the actors: ``projections.serve`` runs the first two."""

_DESCRIPTION = """\
Run the app's actors (and, with the projections runtime, its projections and
reactors) until SIGINT (Ctrl-C) or SIGTERM, then drain: pulling stops, running jobs
finish, and unhandled messages go back to the server.

The server is --url, else $NATS_URL. With neither, a nats-server already listening
on 127.0.0.1:4222 (e.g. `walnats server`) is used, and otherwise an embedded one is
started with its data under .walnats/jetstream. --embedded always starts one (on
port 4222, or a free port when 4222 is taken).
"""


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    """Add ``walnats run``."""
    parser = subparsers.add_parser(
        "run",
        parents=[common],
        help="run the app's actors until Ctrl-C",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: walnats run myapp:services --workers 4 --log-format json",
    )
    add_app(parser)
    add_connection(parser)
    add_db(parser)
    parser.add_argument(
        "--embedded", action="store_true", help="start a local nats-server (data in .walnats/)"
    )
    parser.add_argument(
        "--port",
        type=positive_int,
        help="port of the embedded server; implies --embedded (default: 4222)",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        metavar="N",
        help="worker processes sharing the consumers (default: %(default)s)",
    )
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--log-level",
        choices=LEVELS,
        default="info",
        help="debug logs one line per handled event (default: %(default)s)",
    )
    parser.add_argument("--worker-index", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--supervisor", type=int, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Resolve the app and the server, then serve in this process or in workers."""
    if args.embedded and args.url:
        raise CommandError("use either --url or --embedded, not both")
    if args.port is not None and args.url:
        raise CommandError("--port is for the embedded server; it cannot go with --url")
    args.embedded = args.embedded or args.port is not None
    services, spec = load_app(args.app)
    actors = services.actors()
    setup_logging(args.log_format, args.log_level, args.worker_index)
    components = _read_side(services, announce=args.worker_index is None)
    if not len(actors) and not components:  # aggregates alone need nothing running
        raise CommandError(
            f"the app {str(spec)!r} defines no actors, so there is nothing to run; "
            f"add walnats.Actor objects to a service's defines="
        )
    with contextlib.ExitStack() as stack:
        url, origin = _server(args, stack)
        aggregates = tuple(
            c.obj for service in services for c in components_of(service) if c.kind == "aggregate"
        )
        plan = Plan(spec, actors, components, url, origin, aggregates)
        if args.workers > 1:
            asyncio.run(serve(plan, args, listen=False))
            return supervise(spec, url, args)
        return _exit_when_drained(_run_bounded(serve(plan, args, listen=True)))


def _run_bounded(main: Coroutine[Any, Any, int]) -> int:
    """``asyncio.run``, except that tasks left after the drain get a bounded time.

    ``asyncio.run`` waits for every leftover task, forever; a database driver's task
    closing a connection whose query was cut off by the shutdown can wait that long.
    Nothing it does matters any more (an unfinished transaction is rolled back by
    the database), so the loop closes after a grace period instead.
    """
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(main)
    finally:
        leftover = asyncio.all_tasks(loop)
        for task in leftover:
            task.cancel()
        if leftover:
            loop.run_until_complete(asyncio.wait(leftover, timeout=_STRAY_THREAD_GRACE))
        stuck = [task for task in leftover if not task.done()]
        if stuck:
            logger.warning(
                "exiting with %d task(s) still closing: %s",
                len(stuck),
                ", ".join(task.get_name() for task in stuck),
            )
        else:
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def _exit_when_drained(code: int) -> int:
    """Return *code*, or exit at once if stray threads would keep the process alive.

    After the drain nothing is left to do, but a thread nobody stops (an abandoned
    sync handler, a database driver's connection thread) would make the interpreter
    wait for it forever at exit. Such threads get a few seconds, then the process
    exits anyway, naming them in a warning.
    """
    deadline = time.monotonic() + _STRAY_THREAD_GRACE
    for thread in _stray_threads():
        thread.join(max(deadline - time.monotonic(), 0))
    stray = _stray_threads()
    if stray:
        logger.warning("exiting with threads still running: %s", ", ".join(t.name for t in stray))
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _stray_threads() -> list[threading.Thread]:
    main = threading.main_thread()
    return [t for t in threading.enumerate() if t is not main and not t.daemon and t.is_alive()]


def _read_side(services: Services, *, announce: bool) -> list[Component]:
    """The projections, reactors and clocks to run next to the actors.

    A component of a kind ``walnats run`` does not know is listed in a warning
    instead of being skipped silently.
    """
    owned = [component for service in services for component in components_of(service)]
    chosen = [c for c in owned if c.kind in _READ_SIDE]
    skipped = [c for c in owned if c not in chosen and c.kind != "aggregate"]
    if skipped and announce:
        logger.warning(
            "walnats run does not know how to run these: %s",
            ", ".join(f"{c.kind} {c.name}" for c in skipped),
        )
    return chosen


def _server(args: argparse.Namespace, stack: contextlib.ExitStack) -> tuple[str, str]:
    """The server URL to use and a few words on where it came from."""
    if args.url:
        return args.url, "--url"
    env = os.environ.get("NATS_URL")
    if env and not args.embedded:
        return env, "$NATS_URL"
    if not args.embedded and is_listening(DEFAULT_HOST, DEFAULT_PORT):
        return f"nats://{DEFAULT_HOST}:{DEFAULT_PORT}", "already running"
    server = embedded_server(port=args.port, store_dir=DEFAULT_STORE)
    stack.callback(server.stop)
    logger.info("started nats-server on %s (data in %s)", server.url, DEFAULT_STORE)
    return server.url, f"embedded, data in {DEFAULT_STORE}"
