"""A live connection for emitting events: ``async with events.connect() as conn``."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from .._cloudevents import STRUCTURED_CONTENT_TYPE, CloudEvent
from .._connection import ServerVersion, server_version
from .._context import EVENT_ID_HEADER, MSG_ID, TRACE_ID, EmitContext
from .._errors import ConfigError, EmitError, RequestTimeout, ResponseError, StreamNotFound
from .._ids import IdGenerator
from .._middleware import hooks_of
from .._streams import SCHEDULES_MINIMUM, delayed_subject, ensure_stream, spec_for_event
from ._ack import EmitBatchError, Emitted, parse_ack
from ._batch import AckBatch
from ._delay import NOT_BEFORE_HEADER, Delay, due_time, rfc3339

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.js import JetStreamContext

    from .._inbox import ReplyInbox
    from ._event import BaseEvent, Event, EventWithResponse
    from ._registry import Events

__all__ = ["REPLY_HEADER", "ConnectedEvents"]

T = TypeVar("T")
R = TypeVar("R")

logger = logging.getLogger("walnats")

REPLY_HEADER = "Walnats-Reply"
EXPIRES_HEADER = "Walnats-Expires"
ERROR_HEADER = "Walnats-Error"
DEFAULT_EMIT_TIMEOUT = 5.0
DEFAULT_MAX_IN_FLIGHT = 4096


class ConnectedEvents:
    """Emits events and sends requests over one NATS connection.

    Get it from :meth:`Events.connect`; do not build it yourself.
    """

    def __init__(
        self,
        nc: Client,
        js: JetStreamContext,
        events: Events,
        inbox: ReplyInbox,
        middlewares: tuple[object, ...] = (),
        *,
        cloud_events_source: str | None = None,
        structured: bool = False,
    ) -> None:
        self._nc = nc
        self._js = js
        self._events = events
        self._inbox = inbox
        self._ids = IdGenerator()
        self._on_emit = hooks_of(middlewares, "on_emit")
        self._loop = asyncio.get_running_loop()
        self._schedules = server_version(nc) >= ServerVersion.parse(SCHEDULES_MINIMUM)
        if structured and cloud_events_source is None:
            raise ConfigError(
                "structured=True needs cloud_events_source=... (the CloudEvents source)"
            )
        self._ce_source = cloud_events_source
        self._structured = structured

    @property
    def client(self) -> Client:
        """The underlying nats-py client, for what walnats does not wrap."""
        return self._nc

    @property
    def jetstream(self) -> JetStreamContext:
        """The nats-py JetStream context."""
        return self._js

    async def register(self, *, create: bool = True, update: bool = True) -> None:
        """Create the streams of all events, or bring them in line with the declarations.

        Args:
            create: create missing streams (else ``StreamNotFound``).
            update: update streams whose limits differ (else ``StreamConfigMismatch``).
        """
        specs = {}
        for event in self._events:
            if event.aggregate is None:
                specs[event.stream_name] = spec_for_event(event, schedules=self._schedules)
        await asyncio.gather(
            *(ensure_stream(self._js, s, create=create, update=update) for s in specs.values())
        )

    def _headers(
        self,
        msg_id: str,
        trace_id: str | None,
        meta: Mapping[str, str] | None,
    ) -> dict[str, str]:
        headers = {MSG_ID: msg_id}
        if trace_id is not None:
            headers[TRACE_ID] = trace_id
        if meta:
            headers.update(meta)
        return headers

    async def emit(
        self,
        event: Event[T],
        message: T,
        *,
        uid: str | None = None,
        trace_id: str | None = None,
        meta: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_EMIT_TIMEOUT,
        delay: Delay | None = None,
        cloud_event: CloudEvent | None = None,
        sync: bool = True,
    ) -> Emitted:
        """Publish one event and return once the server has stored it.

        Args:
            event: the event declaration.
            message: the payload; it must match ``event.schema``.
            uid: idempotency key. A second emit with the same *uid* inside the
                stream's duplicate window stores nothing and returns
                ``Emitted(duplicate=True)``. Defaults to a fresh unique id.
            trace_id: carried in the ``Walnats-Trace`` header to handlers.
            meta: extra headers.
            timeout: seconds to wait for the server's acknowledgement.
            delay: deliver the event later: seconds, a ``timedelta`` or an aware
                ``datetime``. On nats-server >= 2.12 the server holds it (a message
                schedule) and releases it at the due time; older servers store it at
                once and actors defer it until then. Either way no retry attempt is
                spent on the wait.
            cloud_event: CloudEvents attributes to send with this event (its ``id``
                is the message id unless *uid* is given). Without it, events get
                CloudEvents headers when the connection has a ``cloud_events_source``.

        Raises:
            EncodeError: *message* does not match the schema.
            StreamNotFound: nobody registered the event's stream.
            EmitError: the server refused the event or did not answer in time; in the
                latter case it may have stored it, so retry with the same *uid*.
        """
        subject = _plain_subject(event)
        data = event.encode(message)
        msg_id = uid or (cloud_event.id if cloud_event else None) or self._ids.next()
        headers = self._headers(msg_id, trace_id, meta)
        if cloud_event is not None or self._ce_source is not None:
            data = self._attach_cloud_event(event, data, headers, msg_id, cloud_event=cloud_event)
        if self._on_emit:
            await self._run_emit_hooks(event, subject, message, msg_id, headers)
        if delay is not None:
            return await self._emit_delayed(
                event, subject, data, headers, delay=delay, timeout=timeout
            )
        reply = await self._publish(subject, data, headers, timeout)
        return parse_ack(reply, subject, msg_id)

    def _attach_cloud_event(
        self,
        event: BaseEvent[Any, Any],
        data: bytes,
        headers: dict[str, str],
        msg_id: str,
        *,
        cloud_event: CloudEvent | None,
    ) -> bytes:
        """Add the CloudEvents context: ``ce-`` headers, or a structured envelope."""
        if cloud_event is None:
            assert self._ce_source is not None
            cloud_event = CloudEvent(
                id=msg_id,
                source=self._ce_source,
                type=event.name,
                time=datetime.now(tz=UTC),
                datacontenttype=event.codec.content_type,
            )
        if self._structured:
            headers["content-type"] = STRUCTURED_CONTENT_TYPE
            return cloud_event.to_structured(data)
        headers.update(cloud_event.as_headers())
        return data

    async def _emit_delayed(
        self,
        event: BaseEvent[Any, Any],
        subject: str,
        data: bytes,
        headers: dict[str, str],
        *,
        delay: Delay,
        timeout: float,
    ) -> Emitted:
        due = due_time(delay)
        msg_id = headers[MSG_ID]
        # The server drops Nats-Msg-Id from the message a schedule produces; keep the
        # event id where handlers look for it.
        headers[EVENT_ID_HEADER] = msg_id
        if not self._schedules:
            headers[NOT_BEFORE_HEADER] = f"{due.timestamp():.6f}"
            return parse_ack(await self._publish(subject, data, headers, timeout), subject, msg_id)
        headers["Nats-Schedule"] = f"@at {rfc3339(due)}"
        headers["Nats-Schedule-Target"] = subject
        schedule = delayed_subject(event, self._ids.next())
        try:
            return parse_ack(await self._publish(schedule, data, headers, timeout), subject, msg_id)
        except StreamNotFound:
            raise StreamNotFound(
                f"the stream of {event.name!r} does not accept delayed events yet; run "
                f"`await conn.register()` (with update=True) on the publisher side"
            ) from None

    async def _run_emit_hooks(
        self,
        event: BaseEvent[Any, Any],
        subject: str,
        message: object,
        msg_id: str,
        headers: dict[str, str],
    ) -> None:
        ctx = EmitContext(event.name, subject, message, msg_id, headers)
        for hook in self._on_emit:
            await hook(ctx)

    async def _publish(
        self, subject: str, data: bytes, headers: dict[str, str], timeout: float
    ) -> Msg:
        reply, fut = self._inbox.expect()
        try:
            await self._nc.publish(subject, data, reply=reply, headers=headers)
        except Exception as exc:
            self._inbox.forget(reply)
            raise EmitError(
                f"cannot publish to {subject!r}: {exc or type(exc).__name__}. Nothing was "
                f"sent; emit again once the connection is open"
            ) from exc
        timer = self._loop.call_later(timeout, _expire, fut, subject, timeout)
        try:
            return await fut
        finally:
            timer.cancel()
            self._inbox.forget(reply)

    async def emit_many(
        self,
        event: Event[T],
        messages: Iterable[T],
        *,
        uids: Sequence[str] | None = None,
        trace_id: str | None = None,
        meta: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_EMIT_TIMEOUT,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> list[Emitted]:
        """Publish many events with up to *max_in_flight* acknowledgements pending.

        Returns one :class:`Emitted` per message, in order, once every event is
        stored. If some were not stored, raises :class:`EmitBatchError` (an
        ``EmitError``) after all others completed; its ``results`` holds an ``Emitted``
        or the exception per message, so the caller can re-emit only the failures
        (with the same uids).
        """
        subject = _plain_subject(event)
        items = list(messages)
        if uids is not None and len(uids) != len(items):
            raise ConfigError(f"emit_many got {len(items)} messages but {len(uids)} uids")
        encode = event.encode
        publish = self._nc.publish
        expect_in = self._inbox.expect_in
        batch = AckBatch(len(items))
        ids: list[str] = []
        replies: list[str] = []
        low_water = max_in_flight // 2
        stalled = False
        for index, message in enumerate(items):
            data = encode(message)
            msg_id = uids[index] if uids is not None else self._ids.next()
            headers = (
                {MSG_ID: msg_id}
                if trace_id is None and not meta
                else self._headers(msg_id, trace_id, meta)
            )
            if self._on_emit:
                await self._run_emit_hooks(event, subject, message, msg_id, headers)
            reply = expect_in(batch, index)
            await publish(subject, data, reply=reply, headers=headers)
            batch.sent()
            ids.append(msg_id)
            replies.append(reply)
            if batch.outstanding >= max_in_flight and not await batch.wait_until(
                low_water, timeout
            ):
                stalled = True
                break
        if not stalled:
            await batch.wait_until(0, timeout)
        results: list[Emitted | BaseException] = []
        failed = 0
        for index, msg_id in enumerate(ids):
            reply_msg = batch.replies[index]
            if reply_msg is None:
                self._inbox.forget(replies[index])
                results.append(EmitError(f"no acknowledgement for {msg_id} within {timeout:g}s"))
                failed += 1
                continue
            try:
                results.append(parse_ack(reply_msg, subject, msg_id))
            except (EmitError, StreamNotFound) as exc:
                results.append(exc)
                failed += 1
        for _ in range(len(ids), len(items)):
            results.append(EmitError("not sent: the server stopped acknowledging"))
            failed += 1
        if failed:
            raise EmitBatchError(subject, results)
        return results  # type: ignore[return-value]  # failed == 0: all are Emitted

    async def request(
        self,
        event: EventWithResponse[T, R],
        message: T,
        *,
        uid: str | None = None,
        trace_id: str | None = None,
        meta: Mapping[str, str] | None = None,
        timeout: float = 4,
        expire: bool = False,
    ) -> R:
        """Emit *event* and wait for the response of the actor that handles it.

        The request is an ordinary event stored in the stream: it survives a worker
        restart and is retried like any other. After *timeout* this call raises
        :class:`RequestTimeout`, but the request stays in the stream and is still
        handled (and its response dropped), unless *expire* is true: then actors
        skip it once the timeout has passed (by the actor's clock).

        Raises:
            RequestTimeout: no response within *timeout* seconds.
            ResponseError: the actor failed for good (its last attempt raised).
        """
        subject = _plain_subject(event)
        data = event.encode(message)
        msg_id = uid or self._ids.next()
        headers = self._headers(msg_id, trace_id, meta)
        response_to, response = self._inbox.expect()
        headers[REPLY_HEADER] = response_to
        if expire:
            headers[EXPIRES_HEADER] = f"{time.time() + timeout:.3f}"
        deadline = self._loop.time() + timeout
        try:
            if self._on_emit:
                await self._run_emit_hooks(event, subject, message, msg_id, headers)
            ack = await self._publish(subject, data, headers, timeout)
            parse_ack(ack, subject, msg_id)
            remaining = max(deadline - self._loop.time(), 0.0)
            try:
                reply = await asyncio.wait_for(response, remaining)
            except TimeoutError:
                raise RequestTimeout(
                    f"no response to {event.name!r} request {msg_id} within {timeout:g}s. "
                    + (
                        "It expired and will be skipped."
                        if expire
                        else "The request stays in the stream and will still be handled."
                    )
                ) from None
        finally:
            self._inbox.forget(response_to)
        error = (reply.headers or {}).get(ERROR_HEADER)
        if error is not None:
            raise ResponseError(f"{event.name!r} request {msg_id} failed: {error}")
        return event.response_codec.decode(reply.data)

    def __repr__(self) -> str:
        return f"<ConnectedEvents {[e.name for e in self._events]}>"


def _expire(fut: asyncio.Future[Msg], subject: str, timeout: float) -> None:
    if not fut.done():
        fut.set_exception(
            EmitError(
                f"no acknowledgement for the event on {subject!r} within {timeout:g}s; "
                f"the server may or may not have stored it. Retry with the same uid: "
                f"a stored copy makes the retry a duplicate, not a second event."
            )
        )


def _plain_subject(event: BaseEvent[Any, Any]) -> str:
    """The subject of a plain event; aggregate events are appended by their store."""
    if event.aggregate is not None:
        raise ConfigError(
            f"event {event.name!r} belongs to the aggregate {event.aggregate!r}: append it "
            f"with the aggregate's event store (EventStore.save or execute), which keeps "
            f"versions and optimistic concurrency; emit() would bypass both"
        )
    return event.name
