"""Log output of ``walnats run``: readable text, or one JSON object per line.

JSON lines are for log shippers (Loki, Elasticsearch, CloudWatch): every record has
``time`` (UTC, RFC 3339), ``level``, ``logger`` and ``message``, plus the ``extra``
fields of the call and ``worker`` when several worker processes run.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final

from walnats import Middleware, OkContext

__all__ = ["LEVELS", "EventLog", "JsonFormatter", "setup_logging"]

LEVELS: Final = ("debug", "info", "warning", "error")
logger = logging.getLogger("walnats.cli")

_RESERVED = frozenset(
    (*vars(logging.LogRecord("", 0, "", 0, "", None, None)), "message", "asctime", "taskName")
)


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON."""

    def __init__(self, static: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.static = static or {}

    def format(self, record: logging.LogRecord) -> str:
        """The record as ``{"time", "level", "logger", "message", ...extra}``."""
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **self.static,
        }
        data.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _RESERVED and not key.startswith("_")
        )
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


def setup_logging(log_format: str, level: str, worker: int | None = None) -> None:
    """Send log records at *level* and above to stderr, as text or JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter({"worker": worker} if worker else None))
    else:
        prefix = f"[worker {worker}] " if worker else ""
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s %(levelname)-7s {prefix}%(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # asyncio's debug lines ("Using selector") say nothing about the app.
    logging.getLogger("asyncio").setLevel(max(logging.INFO, root.level))


class EventLog(Middleware):
    """Logs one debug line per handled event (installed by ``run --log-level debug``).

    Failures are not logged here: the actor runner already logs them as warnings.
    """

    async def on_success(self, ctx: OkContext[Any]) -> None:
        """Log the event, the actor, the sequence, the attempt and the duration."""
        logger.debug(
            "%s handled %s #%s in %.3fs",
            ctx.actor,
            ctx.event,
            ctx.sequence,
            ctx.duration,
            extra={
                "actor": ctx.actor,
                "event": ctx.event,
                "sequence": ctx.sequence,
                "attempt": ctx.attempt,
                "duration": round(ctx.duration, 6),
                "event_id": ctx.event_id,
            },
        )
