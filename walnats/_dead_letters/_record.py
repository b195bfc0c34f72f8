"""Writing a failed event into the dead-letter stream."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .._errors import StreamError
from .._streams import StreamSpec

if TYPE_CHECKING:
    from collections.abc import Mapping

    from nats.aio.client import Client

__all__ = [
    "DEAD_LETTER_STREAM",
    "DeadLetter",
    "dead_letter_headers",
    "dead_letter_spec",
    "dead_letter_subject",
]

DEAD_LETTER_STREAM = "walnats-dead-letters"
PREFIX = "Walnats-Dl-"
H_ACTOR = PREFIX + "Actor"
H_EVENT = PREFIX + "Event"
H_SUBJECT = PREFIX + "Subject"
H_STREAM = PREFIX + "Stream"
H_SEQUENCE = PREFIX + "Sequence"
H_ATTEMPTS = PREFIX + "Attempts"
H_ERROR_TYPE = PREFIX + "Error-Type"
H_ERROR = PREFIX + "Error"
H_REASON = PREFIX + "Reason"
H_TIME = PREFIX + "Time"
TARGET_HEADER = "Walnats-Target"
"""A re-driven event carries the one actor that should handle it again."""

_MAX_ERROR = 1024


def dead_letter_subject(actor: str) -> str:
    """The subject of an actor's dead letters."""
    return f"{DEAD_LETTER_STREAM}.{actor}"


def dead_letter_spec() -> StreamSpec:
    """The dead-letter stream: limits retention, kept until purged."""
    return StreamSpec(
        name=DEAD_LETTER_STREAM,
        subjects=(f"{DEAD_LETTER_STREAM}.>",),
        description="Events that walnats actors failed to handle (walnats dead letters).",
    )


def _clean(text: str) -> str:
    # Header values cannot hold line breaks; keep the first KiB of the message.
    return " ".join(text.split())[:_MAX_ERROR]


def dead_letter_headers(
    original: Mapping[str, str] | None,
    *,
    actor: str,
    event: str,
    subject: str,
    stream: str,
    sequence: int,
    attempts: int,
    reason: str,
    error: BaseException | None = None,
    error_text: str | None = None,
) -> dict[str, str]:
    """The original headers plus the failure metadata, and a deterministic message id.

    The id is derived from stream, sequence and actor, so the same failure reported
    twice (by the failing worker and by a server advisory) is stored once.
    """
    headers = {k: v for k, v in (original or {}).items() if not k.startswith(PREFIX)}
    headers.pop(TARGET_HEADER, None)
    if "Nats-Msg-Id" in headers:
        headers["Walnats-Original-Msg-Id"] = headers["Nats-Msg-Id"]
    headers["Nats-Msg-Id"] = f"dl.{stream}.{sequence}.{actor}"
    headers[H_ACTOR] = actor
    headers[H_EVENT] = event
    headers[H_SUBJECT] = subject
    headers[H_STREAM] = stream
    headers[H_SEQUENCE] = str(sequence)
    headers[H_ATTEMPTS] = str(attempts)
    headers[H_REASON] = reason
    headers[H_TIME] = f"{time.time():.6f}"
    if error is not None:
        headers[H_ERROR_TYPE] = f"{type(error).__module__}.{type(error).__qualname__}"
        headers[H_ERROR] = _clean(str(error) or type(error).__name__)
    elif error_text is not None:
        headers[H_ERROR] = _clean(error_text)
    return headers


async def publish_dead_letter(
    nc: Client, actor: str, data: bytes, headers: dict[str, str], timeout: float = 5.0
) -> None:
    """Store a dead letter and wait for the server's ack (raises on failure)."""
    reply = await nc.request(dead_letter_subject(actor), data, timeout=timeout, headers=headers)
    if reply.data and b'"error"' in reply.data:
        raise StreamError(
            f"the dead-letter stream refused the event ({reply.data[:200]!r}); check that "
            f"{DEAD_LETTER_STREAM!r} exists and is not full (actors' register() creates it)"
        )


@dataclass(frozen=True)
class DeadLetter:
    """One event an actor gave up on, as stored in the dead-letter stream."""

    sequence: int
    """Position in the dead-letter stream (use it to show, retry or purge)."""
    actor: str
    event: str
    subject: str
    """Where the event was originally published."""
    stream: str
    stream_sequence: int
    """Position of the original event in its stream."""
    attempts: int
    reason: str
    """``exhausted``, ``rejected`` (non-retryable error), ``undecodable`` or ``timed-out``."""
    error_type: str | None
    error: str | None
    failed_at: datetime
    data: bytes
    """The original payload, unchanged."""
    headers: dict[str, str]
    """The original headers (without the failure metadata)."""

    @classmethod
    def from_message(cls, sequence: int, data: bytes, headers: Mapping[str, str]) -> DeadLetter:
        """Rebuild a dead letter from a stored message."""
        original = {k: v for k, v in headers.items() if not k.startswith(PREFIX)}
        if "Walnats-Original-Msg-Id" in original:
            original["Nats-Msg-Id"] = original.pop("Walnats-Original-Msg-Id")
        else:
            original.pop("Nats-Msg-Id", None)
        return cls(
            sequence=sequence,
            actor=headers.get(H_ACTOR, ""),
            event=headers.get(H_EVENT, ""),
            subject=headers.get(H_SUBJECT, ""),
            stream=headers.get(H_STREAM, ""),
            stream_sequence=int(headers.get(H_SEQUENCE, "0")),
            attempts=int(headers.get(H_ATTEMPTS, "0")),
            reason=headers.get(H_REASON, ""),
            error_type=headers.get(H_ERROR_TYPE),
            error=headers.get(H_ERROR),
            failed_at=datetime.fromtimestamp(float(headers.get(H_TIME, "0")), tz=UTC),
            data=data,
            headers=original,
        )
