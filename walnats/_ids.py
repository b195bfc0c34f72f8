"""Event ids: unique across processes and hosts, cheap enough for the emit path."""

from __future__ import annotations

import secrets

__all__ = ["IdGenerator"]


class IdGenerator:
    """``<random prefix><counter>`` ids, as NUIDs are built, at a tenth of the cost.

    The 16-character prefix carries 96 random bits per generator (one per
    connection), so ids from different processes do not collide; the counter makes
    ids of one generator distinct. ``nats.nuid.NUID.next()`` costs about 1.2 µs;
    this costs about 0.1 µs.
    """

    __slots__ = ("_counter", "_prefix")

    def __init__(self) -> None:
        self._prefix = secrets.token_urlsafe(12)
        self._counter = 0

    def next(self) -> str:
        """A fresh id, e.g. ``xK3v9Qm2LpT0aB7w1f``."""
        self._counter += 1
        return f"{self._prefix}{self._counter:x}"
