"""What happens after a failed attempt: a retry on the policy's curve, or dead letters."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .._dead_letters._record import dead_letter_headers, publish_dead_letter
from .._errors import CloudEventError, DecodeError
from .._events._connected import ERROR_HEADER, REPLY_HEADER
from ._retry import Retry
from ._settle import TERM

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg

    from .._context import Context
    from ._actor import Actor
    from ._settle import Settler

__all__ = ["Failures"]

logger = logging.getLogger("walnats")

_DEAD_LETTER_RETRY = 30.0
"""Seconds before an event whose dead letter could not be stored is tried again."""


class Failures:
    """Decides the fate of a failed attempt of one actor's event."""

    __slots__ = ("_actor", "_is_request", "_nc", "_settler")

    def __init__(
        self, nc: Client, actor: Actor[Any, Any], settler: Settler, *, is_request: bool
    ) -> None:
        self._nc = nc
        self._actor = actor
        self._settler = settler
        self._is_request = is_request

    async def handle(self, msg: Msg, ctx: Context[Any], exc: BaseException) -> None:
        """Retry after the policy's delay (or the handler's ``Retry``), or give up.

        Giving up stores the event in the dead-letter stream, answers a waiting
        requester with the error, and terminates the message. If the dead letter
        cannot be stored, the event is kept and retried later: nothing is lost.
        """
        actor = self._actor
        attempt = ctx.attempt
        policy = actor.policy
        if not policy.gives_up(attempt, exc):
            delay = exc.delay if isinstance(exc, Retry) and exc.delay is not None else None
            if delay is None:
                delay = policy.delay(attempt)
            logger.warning(
                "actor %s: attempt %d/%d of event %s failed (%s: %s); retrying in %.2fs",
                actor.name,
                attempt,
                policy.max_attempts,
                ctx.event_id,
                type(exc).__name__,
                exc,
                delay,
            )
            await self._settler.nak(msg, delay)
            return
        reason = (
            "undecodable"
            if isinstance(exc, DecodeError | CloudEventError)
            else "exhausted"
            if attempt >= policy.max_attempts
            else "rejected"
        )
        logger.error(
            "actor %s: giving up on event %s after %d attempt(s) (%s): %s: %s",
            actor.name,
            ctx.event_id,
            attempt,
            reason,
            type(exc).__name__,
            exc,
            exc_info=(type(exc), exc, exc.__traceback__) if reason == "exhausted" else None,
        )
        if actor.dead_letters and not await self._dead_letter(msg, ctx, exc, reason):
            await self._settler.nak(msg, _DEAD_LETTER_RETRY)
            return
        if self._is_request and msg.headers:
            reply = msg.headers.get(REPLY_HEADER)
            if reply:
                error = f"{type(exc).__name__}: {exc}"[:1000]
                await self._settler.publish_quietly(reply, b"", {ERROR_HEADER: error})
        await self._settler.settle(msg, TERM)

    async def _dead_letter(
        self, msg: Msg, ctx: Context[Any], exc: BaseException, reason: str
    ) -> bool:
        headers = dead_letter_headers(
            msg.headers,
            actor=self._actor.name,
            event=self._actor.event.name,
            subject=msg.subject,
            stream=ctx.stream,
            sequence=ctx.sequence,
            attempts=ctx.attempt,
            reason=reason,
            error=exc,
        )
        try:
            await publish_dead_letter(self._nc, self._actor.name, msg.data, headers)
        except Exception as dl_exc:  # noqa: BLE001 - keep the event: retry later
            logger.error(
                "actor %s: cannot store dead letter for event %s (%s); it stays in the "
                "stream and is retried in %gs. Did the actors' register() run?",
                self._actor.name,
                ctx.event_id,
                dl_exc,
                _DEAD_LETTER_RETRY,
            )
            return False
        return True
