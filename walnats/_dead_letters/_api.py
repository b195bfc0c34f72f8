"""Inspecting, re-driving and purging dead letters from Python (the CLI wraps this)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nats.js.errors import NotFoundError

from .._errors import WalnatsError
from .._events._ack import Emitted, parse_ack
from .._events._connected import EXPIRES_HEADER, REPLY_HEADER
from ._record import DEAD_LETTER_STREAM, TARGET_HEADER, DeadLetter, dead_letter_subject

if TYPE_CHECKING:
    from nats.aio.client import Client

__all__ = ["DeadLetters"]


class DeadLetters:
    """The dead-letter stream: what actors gave up on, and why.

    ::

        dead = walnats.DeadLetters(conn.client)
        for letter in await dead.list("send-email"):
            print(letter.sequence, letter.error)
        await dead.retry(letter.sequence)   # the actor handles it again
    """

    def __init__(self, nc: Client) -> None:
        self._nc = nc
        self._js = nc.jetstream()

    def _filter(self, actor: str | None) -> str:
        return dead_letter_subject(actor) if actor else f"{DEAD_LETTER_STREAM}.>"

    async def count(self, actor: str | None = None) -> int:
        """How many dead letters there are (for one actor, or all)."""
        try:
            info = await self._js.stream_info(
                DEAD_LETTER_STREAM, subjects_filter=self._filter(actor)
            )
        except NotFoundError:
            return 0
        if actor is None:
            return int(info.state.messages)
        subjects = info.state.subjects or {}
        return int(sum(subjects.values()))

    async def list(
        self, actor: str | None = None, *, limit: int = 100, after: int = 0
    ) -> list[DeadLetter]:
        """Up to *limit* dead letters, oldest first, with sequence greater than *after*."""
        found: list[DeadLetter] = []
        seq = after + 1
        subject = self._filter(actor)
        while len(found) < limit:
            try:
                raw = await self._js.get_msg(
                    DEAD_LETTER_STREAM, seq=seq, subject=subject, next=True
                )
            except NotFoundError:
                break
            found.append(DeadLetter.from_message(raw.seq or 0, raw.data or b"", raw.headers or {}))
            seq = (raw.seq or seq) + 1
        return found

    async def get(self, sequence: int) -> DeadLetter:
        """One dead letter by its sequence in the dead-letter stream."""
        try:
            raw = await self._js.get_msg(DEAD_LETTER_STREAM, seq=sequence)
        except NotFoundError:
            raise WalnatsError(
                f"no dead letter with sequence {sequence}; list them with "
                f"`walnats dlq list` or DeadLetters.list()"
            ) from None
        return DeadLetter.from_message(sequence, raw.data or b"", raw.headers or {})

    async def retry(self, sequence: int, *, timeout: float = 5.0) -> Emitted:
        """Send a dead letter back to its actor (only that actor), then delete it.

        The event is published again to its original subject with a new message id
        and a header naming the actor; other actors of the event skip it. It starts
        again at attempt 1.
        """
        letter = await self.get(sequence)
        headers = dict(letter.headers)
        original_id = headers.get("Nats-Msg-Id", f"{letter.stream}.{letter.stream_sequence}")
        headers["Nats-Msg-Id"] = f"{original_id}.redrive.{sequence}"
        headers[TARGET_HEADER] = letter.actor
        # A re-driven request has no requester waiting any more: answer nobody, and do
        # not let its old expiry make the actor skip it.
        headers.pop(REPLY_HEADER, None)
        headers.pop(EXPIRES_HEADER, None)
        reply = await self._nc.request(
            letter.subject, letter.data, timeout=timeout, headers=headers
        )
        emitted = parse_ack(reply, letter.subject, headers["Nats-Msg-Id"])
        await self._js.delete_msg(DEAD_LETTER_STREAM, sequence)
        return emitted

    async def purge(self, actor: str | None = None, *, sequence: int | None = None) -> int:
        """Delete one dead letter (*sequence*), an actor's, or all; returns how many."""
        if sequence is not None:
            await self.get(sequence)
            await self._js.delete_msg(DEAD_LETTER_STREAM, sequence)
            return 1
        before = await self.count(actor)
        try:
            if actor is None:
                await self._js.purge_stream(DEAD_LETTER_STREAM)
            else:
                await self._js.purge_stream(DEAD_LETTER_STREAM, subject=dead_letter_subject(actor))
        except NotFoundError:
            return 0
        return before
