"""One delivered message, and finding the next one a projection would receive."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nats.js.errors import NotFoundError

if TYPE_CHECKING:
    from nats.aio.msg import Msg
    from nats.js import JetStreamContext

__all__ = ["Delivery", "next_matching"]


class Delivery:
    """One message as delivered, with the JetStream metadata of its reply subject."""

    __slots__ = ("data", "headers", "pending", "reply", "sequence", "stream", "subject", "ts")

    def __init__(self, stream: str, msg: Msg, sequence: int, ts: int, pending: int) -> None:
        self.stream = stream
        """The stream the message came from."""
        self.subject = msg.subject
        self.data = msg.data
        self.headers = msg.headers or {}
        self.reply = msg.reply
        self.sequence = sequence
        """Its stream sequence."""
        self.ts = ts
        """When the server stored it (nanoseconds since the epoch)."""
        self.pending = pending
        """Matching messages after it when it was delivered."""


async def next_matching(
    js: JetStreamContext, stream: str, filters: list[str], start: int
) -> int | None:
    """The first sequence >= *start* whose subject matches one of *filters*, or ``None``.

    One request per filter (``$JS.API.STREAM.MSG.GET`` with ``next_by_subj``); works
    without Direct Get.
    """
    found: list[int] = []
    for subject in filters:
        try:
            message = await js.get_msg(stream, seq=start, subject=subject, next=True)
        except NotFoundError:
            continue
        if message.seq is not None:
            found.append(message.seq)
    return min(found) if found else None
