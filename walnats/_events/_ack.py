"""Reading the server's answer to a publish."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec

from .._errors import EmitError, StreamNotFound

if TYPE_CHECKING:
    from nats.aio.msg import Msg

__all__ = ["EmitBatchError", "Emitted", "parse_ack"]


@dataclass(frozen=True, slots=True)
class Emitted:
    """The server's receipt for one stored event."""

    stream: str
    """The stream that stored the event."""
    sequence: int
    """Its position in the stream (use it for read-your-writes waits)."""
    msg_id: str
    """Its ``Nats-Msg-Id``: the event id, or the caller's idempotency key."""
    duplicate: bool = False
    """True when an event with this id was already stored inside the duplicate window:
    this emit stored nothing new."""


class _ApiError(msgspec.Struct):
    code: int = 0
    err_code: int = 0
    description: str = ""


class _PubAck(msgspec.Struct):
    stream: str = ""
    seq: int = 0
    duplicate: bool = False
    error: _ApiError | None = None


_decode_ack = msgspec.json.Decoder(_PubAck).decode
WRONG_LAST_SEQUENCE = (10071, 10164)


def parse_ack(msg: Msg, subject: str, msg_id: str) -> Emitted:
    """Turn a PubAck message into :class:`Emitted` or raise the matching error."""
    data = msg.data
    if not data:
        status = (msg.headers or {}).get("Status", "")
        if status == "503":
            raise StreamNotFound(
                f"no stream stores subject {subject!r}, so the event was not stored. "
                f"Register the event first: `await conn.register()` on the publisher "
                f"(or the actors) connection."
            )
        raise EmitError(
            f"the server answered the emit to {subject!r} with status {status!r} and did "
            f"not confirm storing it; retry with the same uid (a stored copy is a duplicate)"
        )
    try:
        ack = _decode_ack(data)
    except msgspec.DecodeError:
        raise EmitError(
            f"unreadable PubAck for {subject!r}: {data[:200]!r}; the event may be stored: "
            f"retry with the same uid"
        ) from None
    if ack.error is not None:
        raise ApiRejected(ack.error.code, ack.error.err_code, ack.error.description, subject)
    return Emitted(ack.stream, ack.seq, msg_id, ack.duplicate)


class ApiRejected(EmitError):
    """The server refused to store the event; ``err_code`` says why."""

    def __init__(self, code: int, err_code: int, description: str, subject: str) -> None:
        self.code = code
        self.err_code = err_code
        self.description = description
        super().__init__(
            f"the server refused the event on {subject!r}: {description} "
            f"(code {code}, err_code {err_code})"
        )


class EmitBatchError(EmitError):
    """Some events of an ``emit_many`` were not confirmed; the others were stored."""

    def __init__(self, subject: str, results: list[Emitted | BaseException]) -> None:
        self.results = results
        """Per message, in order: its :class:`Emitted`, or why it was not confirmed."""
        failures = [r for r in results if isinstance(r, BaseException)]
        super().__init__(
            f"{len(failures)} of {len(results)} events to {subject!r} were not confirmed; "
            f"first problem: {failures[0]}. Re-emit the failed ones with the same uids "
            f"(see .results)."
        )
