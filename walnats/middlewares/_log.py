"""One structured log record per handled event and per emit."""

from __future__ import annotations

import json as _json
import logging
from typing import TYPE_CHECKING, Any

from .._middleware import Middleware

if TYPE_CHECKING:
    from .._context import Context, EmitContext, ErrorContext, OkContext

__all__ = ["LogMiddleware"]


class LogMiddleware(Middleware):
    """Log every handled event (outcome, duration, attempt) and every emit.

    Use it when you want one line per job, like a web server's access log::

        await conn.listen(middlewares=[walnats.middlewares.LogMiddleware()])

    The fields go into the record's ``extra`` so a JSON formatter (python-json-logger,
    structlog's ``ExtraAdder``, a cloud logging agent) sees them as attributes:

    ============  ==============================================================
    ``actor``      the actor that handled the event (absent on emit records)
    ``event_name`` the event; not ``event``, which structlog uses for the message
    ``event_id``   the event's id (``Nats-Msg-Id``)
    ``subject``    the NATS subject
    ``attempt``    1 on the first delivery
    ``sequence``   the event's stream sequence
    ``duration``   seconds the handler ran (``None`` when it failed)
    ``outcome``    ``"ok"``, ``"error"`` or ``"emit"``
    ``error``      the exception type on failure, else ``None``
    ============  ==============================================================

    Records of successful jobs and of emits are logged at *level*, failures at
    *failure_level*. With ``json=True`` the message itself is the JSON object of the
    fields, for setups whose formatter prints only the message. When the logger is not
    enabled for the level, a hook returns before building anything.
    """

    def __init__(
        self,
        logger: logging.Logger | None = None,
        level: int = logging.DEBUG,
        json: bool = False,
        *,
        failure_level: int = logging.WARNING,
    ) -> None:
        self.logger = logging.getLogger("walnats") if logger is None else logger
        """Where records go; ``walnats`` by default."""
        self.level = level
        """Level of the records of successful jobs and emits."""
        self.failure_level = failure_level
        """Level of the records of failed jobs."""
        self.json = json
        """Whether the message is the fields as JSON rather than a sentence."""

    async def on_emit(self, ctx: EmitContext) -> None:
        """Log that *ctx.event* is about to be published, with its id."""
        if not self.logger.isEnabledFor(self.level):
            return
        fields: dict[str, Any] = {
            "event_name": ctx.event,
            "event_id": ctx.msg_id,
            "subject": ctx.subject,
            "outcome": "emit",
        }
        if self.json:
            self.logger.log(self.level, "%s", _json.dumps(fields), extra=fields)
        else:
            self.logger.log(
                self.level, "emit %s %s to %s", ctx.event, ctx.msg_id, ctx.subject, extra=fields
            )

    async def on_success(self, ctx: OkContext[Any]) -> None:
        """Log a handled event with its duration."""
        if self.logger.isEnabledFor(self.level):
            self._log(self.level, ctx, ctx.duration, None)

    async def on_failure(self, ctx: ErrorContext[Any]) -> None:
        """Log a failed job (the handler raised or the payload did not decode)."""
        if self.logger.isEnabledFor(self.failure_level):
            self._log(self.failure_level, ctx, None, ctx.exception)

    def _log(
        self, level: int, ctx: Context[Any], duration: float | None, exc: BaseException | None
    ) -> None:
        error = None if exc is None else type(exc).__name__
        fields: dict[str, Any] = {
            "actor": ctx.actor,
            "event_name": ctx.event,
            "event_id": ctx.event_id,
            "subject": ctx.subject,
            "attempt": ctx.attempt,
            "sequence": ctx.sequence,
            "duration": duration,
            "outcome": "ok" if exc is None else "error",
            "error": error,
        }
        if self.json:
            self.logger.log(level, "%s", _json.dumps(fields), extra=fields)
        elif exc is None:
            self.logger.log(
                level,
                "%s handled %s %s in %.1f ms (attempt %d, seq %d)",
                ctx.actor,
                ctx.event,
                fields["event_id"],
                (duration or 0.0) * 1000,
                fields["attempt"],
                fields["sequence"],
                extra=fields,
            )
        else:
            self.logger.log(
                level,
                "%s failed on %s %s: %s: %s (attempt %d, seq %d)",
                ctx.actor,
                ctx.event,
                fields["event_id"],
                error,
                exc,
                fields["attempt"],
                fields["sequence"],
                extra=fields,
            )
