"""Running one actor: pull messages up to free capacity, run jobs, settle each message.

The pull loop speaks the JetStream pull protocol directly: a callback subscription on
a private inbox receives the messages of ``$JS.API.CONSUMER.MSG.NEXT`` requests
that are kept in flight. ``fetch()`` would spend a task, a ``wait_for`` and a uuid
per message; this costs a queue hand-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from .._cloudevents import unwrap_structured
from .._connection import on_reconnect
from .._context import NOT_BEFORE_HEADER, Context, ErrorContext, OkContext
from .._dead_letters._record import TARGET_HEADER
from .._errors import CloudEventError, DecodeError
from .._events._connected import EXPIRES_HEADER, REPLY_HEADER
from .._events._event import EventWithResponse
from .._middleware import hooks_of
from ._actor import Actor, ExecuteIn
from ._failure import Failures
from ._settle import ACK, NAK, WPI, Settler

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.aio.subscription import Subscription

    from .._events._connected import ConnectedEvents
    from .._inbox import ReplyInbox
    from ._capacity import Capacity

__all__ = ["ActorRunner"]

logger = logging.getLogger("walnats")

_PULL_EXPIRES = 5.0
"""Seconds a pull request waits for messages; an open request holds capacity."""
_WATCHDOG = _PULL_EXPIRES + 5.0
"""Silence after which open pull requests are presumed lost (e.g. by a reconnect)."""


class ActorRunner:
    """The pull loop and job workers of one actor inside one worker process."""

    def __init__(
        self,
        nc: Client,
        actor: Actor[Any, Any],
        capacity: Capacity,
        inbox: ReplyInbox,
        *,
        middlewares: tuple[object, ...] = (),
        executor: Executor | None = None,
        burst: bool = False,
        emitter: ConnectedEvents | None = None,
    ) -> None:
        self.actor = actor
        self.priority = actor.priority
        self._nc = nc
        self._capacity = capacity
        self._executor = executor
        self._emitter = emitter
        self._burst = burst
        self._limit = actor.max_jobs
        self._min_batch = max(1, self._limit // 2)
        self._used = 0  # open pull credit + queued + running
        self._credit = 0  # messages requested and not yet received
        self._queue: asyncio.Queue[Msg] = asyncio.Queue()
        self._in_flight: dict[int, tuple[Msg, float]] = {}  # id(msg) -> (msg, since)
        self._stopping = False
        self._saw_empty = False  # burst mode: a pull found nothing
        self._drained = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._sub: Subscription | None = None
        self._unhook: Callable[[], None] = lambda: None
        self._loop = asyncio.get_running_loop()
        self._last_seen = self._loop.time()
        event = actor.event
        self._next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{event.stream_name}.{actor.name}"
        self._pull_inbox = ""
        self._decode = event.decode
        self._decoder = actor.decoder
        self._is_request = isinstance(event, EventWithResponse)
        all_mw = (*middlewares, *actor.middlewares)
        # Start hooks run in order, finishing hooks in reverse: middlewares nest.
        self._on_start = hooks_of(all_mw, "on_start")
        self._on_success = hooks_of(all_mw, "on_success")[::-1]
        self._on_failure = hooks_of(all_mw, "on_failure")[::-1]
        self._needs_ctx = bool(self._on_start or self._on_success or self._on_failure)
        self._wants_ctx = actor._wants_context
        self._runs_in = actor.runs_in
        self._settler = Settler(nc, inbox, actor.name)
        self._failures = Failures(nc, actor, self._settler, is_request=self._is_request)
        self._deadlines: dict[asyncio.Task[Any], float] = {}  # running job -> deadline
        self._timed_out: set[asyncio.Task[Any]] = set()
        self._interval = 1 / actor.rate_limit if actor.rate_limit else 0.0
        self._next_start = 0.0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Subscribe the pull inbox, start the job workers and the first pull."""
        self._pull_inbox = self._nc.new_inbox()
        self._sub = await self._nc.subscribe(
            self._pull_inbox,
            cb=self._on_msg,
            pending_msgs_limit=-1,
            pending_bytes_limit=-1,
        )
        for _ in range(self._limit):
            self._tasks.append(asyncio.create_task(self._work()))
        self._tasks.append(asyncio.create_task(self._watch()))
        self._capacity.add(self)
        self._unhook = on_reconnect(self._nc, self._reconnected)
        await self.maybe_pull()

    async def _reconnected(self) -> None:
        # Open pull requests died with the old connection: their credit is void.
        logger.info("actor %s: reconnected; pulling again", self.actor.name)
        await self._forget_credit(self._credit)
        await self.maybe_pull()

    async def wait_drained(self) -> None:
        """In burst mode: return once no message is left to handle."""
        await self._drained.wait()

    async def stop(self, timeout: float) -> None:
        """Stop pulling, let running jobs finish within *timeout*, give back the rest.

        Messages that arrive or wait in the local queue after the stop are
        returned to the server at once (``nak``) so another worker takes them now
        instead of after ``ack_wait``.
        """
        self._stopping = True
        self._unhook()
        while not self._queue.empty():
            msg = self._queue.get_nowait()
            self._in_flight.pop(id(msg), None)
            await self._settler.settle(msg, NAK)
        deadline = self._loop.time() + timeout
        while self._in_flight and self._loop.time() < deadline:  # noqa: ASYNC110 - shutdown only
            await asyncio.sleep(0.01)
        # Jobs still running now are abandoned: return their messages to the server
        # (a job that finishes in between was acked first; the server ignores the nak).
        abandoned = [msg for msg, _ in self._in_flight.values()]
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for msg in abandoned:
            await self._settler.settle(msg, NAK)
        self._in_flight.clear()
        if self._sub is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
        self._sub = None

    # ------------------------------------------------------------------ pulling

    async def maybe_pull(self) -> None:
        """Ask the server for as many messages as there are free slots."""
        if self._stopping or self._drained.is_set() or self._nc.is_closed:
            return
        free = min(self._limit - self._used, self._capacity.free())
        if free <= 0 or (self._credit > 0 and free < self._min_batch):
            return
        self._used += free
        self._capacity.used += free
        self._credit += free
        request: dict[str, Any] = {"batch": free, "expires": int(_PULL_EXPIRES * 1e9)}
        if self._burst:
            request = {"batch": free, "no_wait": True}
            self._saw_empty = False
        self._last_seen = self._loop.time()
        try:
            await self._nc.publish(
                self._next_subject, json.dumps(request).encode(), reply=self._pull_inbox
            )
        except Exception:
            logger.debug("pull request for %s failed", self.actor.name, exc_info=True)

    async def _forget_credit(self, count: int) -> None:
        count = min(count, self._credit)
        if count <= 0:
            return
        self._credit -= count
        self._used -= count
        await self._capacity.release(count)

    async def _on_msg(self, msg: Msg) -> None:
        self._last_seen = self._loop.time()
        if not msg.reply:
            await self._on_status(msg)
            return
        if self._credit > 0:
            self._credit -= 1
        else:  # a late reply to a request the watchdog gave up on: take a slot for it
            self._used += 1
            self._capacity.used += 1
        if self._stopping:
            self._used -= 1
            self._capacity.used -= 1
            await self._settler.settle(msg, NAK)
            return
        self._in_flight[id(msg)] = (msg, self._loop.time())
        self._queue.put_nowait(msg)

    async def _on_status(self, msg: Msg) -> None:
        headers = msg.headers or {}
        status = headers.get("Status", "")
        if status == "100":  # idle heartbeat
            return
        pending = headers.get("Nats-Pending-Messages")
        if status in ("404", "408") and self._burst:
            # Nothing left right now. Give the slots back without pulling again; the
            # jobs still running pull once more when they finish.
            self._used -= self._credit
            self._capacity.used -= self._credit
            self._credit = 0
            self._saw_empty = True
            self._check_drained()
            return
        if status in ("404", "408", "409"):
            await self._forget_credit(int(pending) if pending else self._credit)
            if status == "409":
                description = headers.get("Description", "")
                logger.warning("actor %s: pull interrupted: %s", self.actor.name, description)
            await self.maybe_pull()
            return
        logger.debug("actor %s: unexpected status %r", self.actor.name, status)

    def _check_drained(self) -> None:
        if self._saw_empty and not self._in_flight and self._credit == 0:
            self._drained.set()

    async def _watch(self) -> None:
        """Pulse long jobs, time out overdue ones, re-pull after lost pull requests.

        Job timeouts are enforced here rather than with one ``asyncio.timeout`` per
        job: a timer per message costs more than the rest of the dispatch, and a
        tick of a tenth of ``job_timeout`` is precise enough for a timeout.
        """
        interval = min(self.actor.ack_wait / 3, 1.0, self.actor.job_timeout / 10)
        while True:
            await asyncio.sleep(interval)
            now = self._loop.time()
            if self._deadlines:
                self._expire_jobs()
            if self.actor.pulse and self._in_flight:
                threshold = self._loop.time() - self.actor.ack_wait / 3
                for key, (msg, started) in list(self._in_flight.items()):
                    if started <= threshold and key in self._in_flight:
                        await self._settler.settle(msg, WPI)
                        self._in_flight[key] = (msg, self._loop.time())
            if self._credit > 0 and now - self._last_seen > _WATCHDOG:
                logger.info("actor %s: no reply to pull requests; pulling again", self.actor.name)
                await self._forget_credit(self._credit)
                await self.maybe_pull()
            elif self._credit == 0:
                await self.maybe_pull()

    # ------------------------------------------------------------------ jobs

    async def _pace(self) -> None:
        """Space job starts ``1 / rate_limit`` seconds apart."""
        now = self._loop.time()
        start = max(now, self._next_start)
        self._next_start = start + self._interval
        if start > now:
            await asyncio.sleep(start - now)

    async def _work(self) -> None:
        queue = self._queue
        while True:
            msg = await queue.get()
            if self._interval:
                await self._pace()
            try:
                await self._process(msg)
            except Exception:  # a bug in walnats itself: never kill the worker
                logger.exception("actor %s: unexpected error", self.actor.name)
            finally:
                self._in_flight.pop(id(msg), None)
                self._used -= 1
                self._check_drained()
                await self._capacity.release(1)

    async def _process(self, msg: Msg) -> None:
        headers = msg.headers
        if headers is not None and self._skip(headers):
            await self._settler.settle(msg, ACK)
            return
        if headers is not None and NOT_BEFORE_HEADER in headers:
            wait = float(headers[NOT_BEFORE_HEADER]) - time.time()
            if wait > 0:  # a delayed event, early (server without schedules): defer it
                await self._settler.nak(msg, wait)
                return
        ctx: Context[Any] | None = None
        data = msg.data
        try:
            if headers is not None and ("content-type" in headers or "Content-Type" in headers):
                data = unwrap_structured(headers, data)
            if self._decoder is None:
                payload = self._decode(data)
            else:
                payload = self._custom_decode(msg.subject, data, headers)
        except (DecodeError, CloudEventError) as exc:
            await self._fail(msg, self._context(msg, None), exc)
            return
        if self._needs_ctx or self._wants_ctx:
            ctx = self._context(msg, payload)
        started = self._loop.time()
        try:
            if self._on_start:
                assert ctx is not None
                for hook in self._on_start:
                    await hook(ctx)
            result = await self._call(payload, ctx)
        except Exception as exc:  # noqa: BLE001 - every handler failure is retried or dead-lettered
            if ctx is None:
                ctx = self._context(msg, payload)
            await self._fail(msg, ctx, exc, self._loop.time() - started)
            return
        if self._on_success:
            assert ctx is not None
            ok = OkContext(ctx, self._loop.time() - started, result)
            try:
                for hook in self._on_success:
                    await hook(ok)
            except Exception:
                # The job is done; a broken metrics or tracing hook must not redo it.
                logger.exception("actor %s: an on_success middleware failed", self.actor.name)
        if self._is_request and headers is not None:
            await self._respond(headers, result)
        if self.actor.double_ack:
            await self._settler.ack_sync(msg)
        else:
            await self._settler.settle(msg, ACK)

    def _custom_decode(self, subject: str, data: bytes, headers: dict[str, str] | None) -> Any:
        assert self._decoder is not None
        try:
            return self._decoder(subject, data, headers)
        except DecodeError:
            raise
        except Exception as exc:
            raise DecodeError(f"{type(exc).__name__}: {exc}") from exc

    def _context(self, msg: Msg, payload: Any) -> Context[Any]:
        return Context(self.actor.name, self.actor.event.name, msg, payload, self._emitter)

    def _skip(self, headers: dict[str, str]) -> bool:
        target = headers.get(TARGET_HEADER)
        if target is not None and target != self.actor.name:
            return True  # a re-driven dead letter meant for another actor
        expires = headers.get(EXPIRES_HEADER)
        return expires is not None and float(expires) < time.time()

    def _expire_jobs(self) -> None:
        now = self._loop.time()
        for task, deadline in list(self._deadlines.items()):
            if deadline <= now and task not in self._timed_out:
                self._timed_out.add(task)
                task.cancel()

    async def _call(self, payload: Any, ctx: Context[Any] | None) -> Any:
        handler: Any = self.actor.handler
        timeout = self.actor.job_timeout
        args = (payload, ctx) if self._wants_ctx else (payload,)
        if self._runs_in is ExecuteIn.MAIN:
            task = asyncio.current_task()
            assert task is not None
            self._deadlines[task] = self._loop.time() + timeout
            try:
                result = handler(*args)
                if asyncio.iscoroutine(result):
                    result = await result
            except asyncio.CancelledError:
                if task not in self._timed_out:
                    raise  # the worker itself is being stopped
                raise TimeoutError from None
            finally:
                del self._deadlines[task]
                if task in self._timed_out:  # the cancel is ours: consume it
                    self._timed_out.discard(task)
                    task.uncancel()
            return result
        if self._runs_in is ExecuteIn.THREAD:
            # Threads see the job's context variables (e.g. the tracing span).
            args = (handler, *args)
            handler = contextvars.copy_context().run
        future = self._loop.run_in_executor(self._executor, handler, *args)
        return await asyncio.wait_for(future, timeout)

    async def _fail(
        self, msg: Msg, ctx: Context[Any], exc: BaseException, duration: float | None = None
    ) -> None:
        if isinstance(exc, TimeoutError):
            exc = TimeoutError(f"job timed out after {self.actor.job_timeout:g}s")
        if self._on_failure:
            failure = ErrorContext(ctx, exc, duration)
            try:
                for hook in self._on_failure:
                    await hook(failure)
            except Exception:
                logger.exception("actor %s: an on_failure middleware failed", self.actor.name)
        await self._failures.handle(msg, ctx, exc)

    async def _respond(self, headers: dict[str, str], result: Any) -> None:
        reply = headers.get(REPLY_HEADER)
        if not reply:
            return
        event = self.actor.event
        assert isinstance(event, EventWithResponse)
        await self._settler.publish_quietly(reply, event.response_codec.encode(result), None)
