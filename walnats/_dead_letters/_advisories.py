"""Catching the events the server gives up on, so nothing escapes the dead letters.

A worker that crashes (or a job that outlives ``ack_wait``) on the last attempt never
reaches the code that writes the dead letter. The server then publishes a
``MAX_DELIVERIES`` advisory; every running worker listens for the advisories of its
actors and copies the event. Copies from several workers share one message id and
are stored once. A ``MSG_TERMINATED`` advisory for a message some other client
terminated is handled the same way.

Advisories are core NATS messages: one published while no worker runs is not seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import msgspec

from ._record import dead_letter_headers, publish_dead_letter

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.aio.subscription import Subscription
    from nats.js import JetStreamContext

    from .._actors._actor import Actor

__all__ = ["AdvisoryListener"]

logger = logging.getLogger("walnats")

_ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER"


class _Advisory(msgspec.Struct):
    stream: str = ""
    consumer: str = ""
    stream_seq: int = 0
    deliveries: int = 0
    reason: str = ""


_decode = msgspec.json.Decoder(_Advisory).decode


class AdvisoryListener:
    """Subscribes to the give-up advisories of a set of actors."""

    def __init__(self, nc: Client, js: JetStreamContext, actors: list[Actor[Any, Any]]):
        self._nc = nc
        self._js = js
        self._actors = {(a.event.stream_name, a.name): a for a in actors if a.dead_letters}
        self._subs: list[Subscription] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Subscribe to the advisories."""
        for stream, name in self._actors:
            for kind in ("MAX_DELIVERIES", "MSG_TERMINATED"):
                sub = await self._nc.subscribe(f"{_ADVISORY}.{kind}.{stream}.{name}", cb=self._on)
                self._subs.append(sub)

    async def stop(self) -> None:
        """Unsubscribe and finish the copies under way."""
        for sub in self._subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        self._subs.clear()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)

    async def _on(self, msg: Msg) -> None:
        task = asyncio.create_task(self._copy(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _copy(self, msg: Msg) -> None:
        try:
            advisory = _decode(msg.data)
        except msgspec.DecodeError:
            logger.warning("unreadable JetStream advisory on %s", msg.subject)
            return
        actor = self._actors.get((advisory.stream, advisory.consumer))
        if actor is None or not advisory.stream_seq:
            return
        terminated = ".MSG_TERMINATED." in msg.subject
        try:
            original = await self._js.get_msg(advisory.stream, advisory.stream_seq)
        except Exception as exc:  # noqa: BLE001 - the event may have aged out of the stream
            logger.error(
                "actor %s: event %s:%d exhausted its deliveries but cannot be read (%s)",
                actor.name,
                advisory.stream,
                advisory.stream_seq,
                exc,
            )
            return
        headers = dead_letter_headers(
            original.headers,
            actor=actor.name,
            event=actor.event.name,
            subject=original.subject or "",
            stream=advisory.stream,
            sequence=advisory.stream_seq,
            attempts=advisory.deliveries,
            reason="terminated" if terminated else "timed-out",
            error_text=(
                advisory.reason or "terminated by a client"
                if terminated
                else "the last attempt did not finish within ack_wait (worker crashed or hung)"
            ),
        )
        try:
            await publish_dead_letter(self._nc, actor.name, original.data or b"", headers)
        except Exception as exc:  # noqa: BLE001 - logged; the event stays in its stream
            logger.error("actor %s: cannot store dead letter: %s", actor.name, exc)
