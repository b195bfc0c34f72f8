"""A live connection for running actors: ``async with actors.connect() as conn``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from nats.js.errors import APIError, NotFoundError

from .._connection import ServerVersion, server_version
from .._dead_letters._advisories import AdvisoryListener
from .._dead_letters._record import dead_letter_spec
from .._errors import ConsumerNotFound, StreamError, StreamNotFound
from .._events import ConnectedEvents, Events
from .._streams import SCHEDULES_MINIMUM, ensure_stream, spec_for_event
from ._actor import Actor, ExecuteIn
from ._capacity import Capacity
from ._runner import ActorRunner

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js import JetStreamContext

    from .._inbox import ReplyInbox
    from ._registry import Actors

__all__ = ["ConnectedActors"]

logger = logging.getLogger("walnats")

DEFAULT_STOP_TIMEOUT = 10.0


class ConnectedActors:
    """Registers consumers and runs actors over one NATS connection.

    Get it from :meth:`Actors.connect`.
    """

    def __init__(self, nc: Client, js: JetStreamContext, actors: Actors, inbox: ReplyInbox):
        self._nc = nc
        self._js = js
        self._actors = actors
        self._inbox = inbox
        self.runners: list[ActorRunner] = []

    @property
    def client(self) -> Client:
        """The underlying nats-py client."""
        return self._nc

    async def register(self, *, create_streams: bool = True) -> None:
        """Create or update the durable consumer of every actor.

        Actors and publishers share the event declarations, so by default a missing
        stream is created here from the same declaration the publisher uses:
        deployment order does not matter, and events emitted before any actor
        existed are kept and delivered. Existing streams are never changed from
        this side. With ``create_streams=False`` a missing stream raises
        :class:`StreamNotFound` naming the event.
        """
        schedules = server_version(self._nc) >= ServerVersion.parse(SCHEDULES_MINIMUM)
        streams = {}
        for actor in self._actors:
            if actor.event.aggregate is None:
                streams[actor.event.stream_name] = spec_for_event(actor.event, schedules=schedules)
        if any(a.dead_letters for a in self._actors):
            dl = dead_letter_spec()
            streams[dl.name] = dl
        await asyncio.gather(
            *(
                ensure_stream(self._js, spec, create=create_streams, update=False)
                for spec in streams.values()
            )
        )
        # Without server-side schedules a delayed event may be delivered once early
        # and deferred; that delivery is not an attempt, so the server allows one more.
        extra = 0 if schedules else 1
        await asyncio.gather(*(self._add_consumer(actor, extra) for actor in self._actors))

    async def _add_consumer(self, actor: Actor[Any, Any], extra_deliveries: int) -> None:
        stream = actor.event.stream_name
        config = actor.consumer_config()
        if config.max_deliver is not None and config.max_deliver > 0:
            config.max_deliver += extra_deliveries
        try:
            await self._js.add_consumer(stream, config)
        except NotFoundError:
            if actor.event.aggregate is not None:
                hint = (
                    f"it belongs to the aggregate {actor.event.aggregate!r}, whose event "
                    f"store creates it: run the aggregate's register() (or connect()) first."
                )
            else:
                hint = (
                    "register the events (publisher side) first, or call register() with "
                    "create_streams=True."
                )
            raise StreamNotFound(
                f"actor {actor.name!r}: the stream {stream!r} of event {actor.event.name!r} "
                f"does not exist; {hint}"
            ) from None
        except APIError as exc:
            raise StreamError(
                f"actor {actor.name!r}: cannot create its consumer on {stream!r}: "
                f"{exc.description or exc}"
            ) from None

    async def listen(
        self,
        *,
        burst: bool = False,
        max_polls: int | None = None,
        poll_delay: float = 2,
        batch: int = 1,
        max_jobs: int | None = None,
        max_processes: int | None = None,
        max_threads: int | None = None,
        middlewares: Sequence[object] = (),
        stop_timeout: float = DEFAULT_STOP_TIMEOUT,
    ) -> None:
        """Run every actor until cancelled (or, with *burst*, until nothing is left).

        Args:
            burst: handle what is in the streams now, then return (for tests and
                cron-style runs).
            max_jobs: jobs running at once across all actors of this worker
                (each actor also has its own ``max_jobs``); ``None``: no global cap.
            max_processes: size of the process pool for ``ExecuteIn.PROCESS``.
            max_threads: size of the thread pool for sync handlers.
            middlewares: hooks for every actor (before each actor's own).
            stop_timeout: on cancel, seconds running jobs get to finish; jobs still
                running then are abandoned and their messages returned to the server.

        Cancel the task (or press Ctrl-C under ``asyncio.run``) to stop: pulling
        stops, running jobs finish, queued messages go back to the server. No
        message is acknowledged that was not handled.
        """
        capacity = Capacity(max_jobs)
        # ctx.emit() goes through the same middlewares, so follow-ups are traced too.
        emitter = ConnectedEvents(self._nc, self._js, Events(), self._inbox, tuple(middlewares))
        threads: Executor | None = None
        processes: Executor | None = None
        if any(a.runs_in is ExecuteIn.THREAD for a in self._actors):
            threads = ThreadPoolExecutor(max_threads, thread_name_prefix="walnats")
        if any(a.runs_in is ExecuteIn.PROCESS for a in self._actors):
            processes = ProcessPoolExecutor(max_processes)
        self.runners = [
            ActorRunner(
                self._nc,
                actor,
                capacity,
                self._inbox,
                middlewares=tuple(middlewares),
                executor=processes if actor.runs_in is ExecuteIn.PROCESS else threads,
                burst=burst,
                emitter=emitter,
            )
            for actor in self._actors
        ]
        advisories = AdvisoryListener(self._nc, self._js, list(self._actors))
        try:
            await self._check_consumers()
            await advisories.start()
            for runner in self.runners:
                await runner.start()
            if burst:
                await asyncio.gather(*(r.wait_drained() for r in self.runners))
            else:
                await asyncio.Future()  # until cancelled
        finally:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._stop(advisories, stop_timeout, threads, processes))

    async def _stop(
        self,
        advisories: AdvisoryListener,
        timeout: float,
        threads: Executor | None,
        processes: Executor | None,
    ) -> None:
        await asyncio.gather(*(r.stop(timeout) for r in self.runners))
        await advisories.stop()
        with contextlib.suppress(Exception):
            await self._nc.flush(timeout=2)
        for pool in (threads, processes):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    async def _check_consumers(self) -> None:
        async def check(actor: Actor[Any, Any]) -> None:
            try:
                await self._js.consumer_info(actor.event.stream_name, actor.name)
            except NotFoundError:
                raise ConsumerNotFound(
                    f"actor {actor.name!r} has no consumer on stream "
                    f"{actor.event.stream_name!r}: call `await conn.register()` before "
                    f"`listen()`."
                ) from None

        await asyncio.gather(*(check(a) for a in self._actors))
