"""The serving loop of ``walnats run``: register, print the banner, run until signalled."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import projections
import walnats
from walnats import DEAD_LETTER_STREAM, Actors

from .._app import AppSpec
from .._flow import Component
from ._common import server_version
from ._logs import EventLog
from ._toolkit import DEFAULT_DB, database

__all__ = ["Plan", "serve"]

logger = logging.getLogger("walnats.cli")

_ORPHAN_POLL = 1.0
"""Seconds between a worker's checks that its supervisor still lives."""


@dataclass(frozen=True)
class Plan:
    """What one ``walnats run`` process runs, and against which server."""

    spec: AppSpec
    actors: Actors
    components: list[Component]
    """Projections and reactors, run by ``projections.serve`` next to the actors."""
    url: str
    origin: str
    """Where the server came from, for the banner: ``--url``, ``embedded, ...``."""
    aggregates: tuple[Any, ...] = ()
    """Aggregate types whose streams and snapshot buckets ``run`` declares, so that
    projections and actors on their events can start before any command was run."""


async def serve(plan: Plan, args: argparse.Namespace, *, listen: bool) -> int:
    """Register the consumers and print the banner; with *listen*, run until signalled.

    A supervisor calls it with ``listen=False`` once, so that consumers exist and the
    banner is printed before its workers start. With *listen*, SIGINT and SIGTERM are
    handled from the start: one that arrives while registering (or right after the
    banner) still ends in a clean stop, not a KeyboardInterrupt.
    """
    signals = _Signals(args.supervisor) if listen else None
    try:
        async with plan.actors.connect(plan.url, connect_timeout=args.connect_timeout) as conn:
            await conn.register()
            for aggregate in plan.aggregates:
                await projections.EventStore(aggregate, conn.client).register()
            if args.worker_index is None:
                _banner(plan, server_version(conn.client), args)
            else:
                logger.info("worker %s listening", args.worker_index)
            if signals is None:
                return 0
            if not signals.received:
                await signals.run(_work(plan, args, conn))
    finally:
        if signals is not None:
            signals.close()
    logger.info("stopped", extra={"url": plan.url})
    return 0


def _work(plan: Plan, args: argparse.Namespace, conn: Any) -> Awaitable[Any]:
    """The actors' listen loop and the projections runtime, as one awaitable."""
    work: list[Awaitable[Any]] = []
    if len(plan.actors):
        middlewares = [EventLog()] if args.log_level == "debug" else []
        work.append(conn.listen(middlewares=middlewares))
    projections_and_reactors = [c.obj for c in plan.components if c.kind != "clock"]
    if projections_and_reactors:
        db = database(args)
        # The default local SQLite database is a development setup: migrate it and
        # create the read-model tables on the fly. A configured database is
        # migrated as a deployment step (`walnats db upgrade`), never implicitly.
        local = db == DEFAULT_DB
        work.append(
            projections.serve(
                projections_and_reactors,
                nc=conn.client,
                db=db,
                upgrade=local,
                create_tables=local,
            )
        )
    clocks = [c.obj for c in plan.components if c.kind == "clock"]
    if clocks:
        work.append(_tick(clocks, conn.client))
    return asyncio.gather(*work)


async def _tick(clocks: list[Any], nc: Any) -> None:
    """Run the app's clocks: each emits its tick event once per period."""
    events = walnats.Events(*{clock.event.name: clock.event for clock in clocks}.values())
    async with events.connect(nc, close=False) as publisher:
        await publisher.register()
        await asyncio.gather(*(clock.run(publisher) for clock in clocks))


class _Signals:
    """SIGINT/SIGTERM handling for one serving loop.

    The first signal cancels the work (a drain); later ones are ignored so they cannot
    cut the drain short. In a worker, losing the *supervisor* (its pid) counts as a
    signal too: a supervisor killed with SIGKILL cannot forward anything, and a worker
    left behind would hold its share of messages forever. The pid comes from the
    supervisor itself, so a supervisor that died before the worker looked is noticed.
    """

    def __init__(self, supervisor: int | None) -> None:
        self.received: list[str] = []
        self._task: asyncio.Future[Any] | None = None
        self._loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._loop.add_signal_handler(sig, self._stop, sig.name)
        self._watcher = asyncio.ensure_future(self._watch(supervisor)) if supervisor else None

    def _stop(self, name: str) -> None:
        if not self.received:
            self.received.append(name)
            logger.info("%s received: draining", name)
            if self._task is not None:
                self._task.cancel()

    async def _watch(self, parent: int) -> None:
        while os.getppid() == parent:  # noqa: ASYNC110 - a parent's death fires no event
            await asyncio.sleep(_ORPHAN_POLL)
        self._stop("supervisor gone")

    async def run(self, work: Awaitable[Any]) -> None:
        """Await *work* until a signal cancels it."""
        self._task = asyncio.ensure_future(work)
        try:
            await self._task
        except asyncio.CancelledError:
            if not self.received:
                raise

    def close(self) -> None:
        """Stop watching; give the signals back to their defaults."""
        if self._watcher is not None:
            self._watcher.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._loop.remove_signal_handler(sig)


def _banner(plan: Plan, version: str, args: argparse.Namespace) -> None:
    actors = list(plan.actors)
    streams = sorted(
        {actor.event.stream_name for actor in actors}
        | {event.stream_name for c in plan.components for event in getattr(c.obj, "events", ())}
    )
    if any(actor.dead_letters for actor in actors):
        streams.append(DEAD_LETTER_STREAM)
    consumers = [f"{actor.name} ({actor.event.stream_name})" for actor in actors]
    components = [f"{c.name} ({c.kind})" for c in plan.components]
    if args.log_format == "json":
        logger.info(
            "walnats started",
            extra={
                "app": str(plan.spec),
                "url": plan.url,
                "server_version": version,
                "server": plan.origin,
                "streams": streams,
                "consumers": [actor.name for actor in actors],
                "components": [c.name for c in plan.components],
                "workers": args.workers,
            },
        )
        return
    workers = f"{args.workers} process{'es' if args.workers > 1 else ''}"
    lines = [
        f"walnats {walnats.__version__} running {plan.spec}",
        f"server:    {plan.url} (nats-server {version}, {plan.origin})",
        f"streams:   {', '.join(streams) or '-'}",
        f"consumers: {', '.join(consumers) or '-'}",
    ]
    if components:
        lines.append(f"read side: {', '.join(components)}")
    lines.append(f"workers:   {workers}; press Ctrl-C to stop")
    print("\n".join(lines), flush=True)
