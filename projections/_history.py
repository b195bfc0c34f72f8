"""Point reads of one aggregate's history that saving needs: its last event, its tail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import walnats

from ._errors import ReplayError
from ._reader import StoredMessage, header, last_message, read_messages
from ._replay import MSG_ID, VERSION_HEADER
from ._results import Saved

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from nats.aio.client import Client

    from ._aggregate import Aggregate

__all__ = ["History", "check_version", "command_of", "version_of"]


def version_of(message: StoredMessage) -> int | None:
    """The aggregate version a stored event carries, if it has the header."""
    value = header(message.headers, VERSION_HEADER)
    return int(value) if value is not None and value.isdigit() else None


def command_of(msg_id: str | None) -> str | None:
    """The command id of an event's ``Nats-Msg-Id`` (``<command-id>.<n>``)."""
    return msg_id.rsplit(".", 1)[0] if msg_id and "." in msg_id else None


def check_version(message: StoredMessage, expected: int) -> None:
    """Refuse an event whose version header disagrees with its position in the history."""
    stored = version_of(message)
    if stored is not None and stored != expected:
        raise ReplayError(
            f"{message.subject} (stream sequence {message.sequence}) says it is version "
            f"{stored}, but it is the aggregate's event number {expected}: events are "
            f"missing or were written around the event store"
        )


class History:
    """Reads the events of the aggregates of one type."""

    def __init__(self, nc: Client, aggregate: Aggregate[Any], timeout: float) -> None:
        self._nc = nc
        self._aggregate = aggregate
        self._timeout = timeout

    def read(
        self, aggregate_id: str, *, start: int, limit: int | None = None
    ) -> AsyncIterator[list[StoredMessage]]:
        """The events of *aggregate_id* from stream sequence *start* on, in chunks."""
        return read_messages(
            self._nc,
            self._aggregate.name,
            self._aggregate.subjects_of(aggregate_id),
            start=start,
            limit=limit,
            timeout=self._timeout,
        )

    async def last(self, aggregate_id: str) -> StoredMessage | None:
        """The last event of *aggregate_id*, or ``None`` when it has none."""
        return await last_message(
            self._nc,
            self._aggregate.name,
            self._aggregate.subjects_of(aggregate_id),
            timeout=self._timeout,
        )

    async def version(self, last: StoredMessage | None, aggregate_id: str) -> int:
        """The aggregate's version: its last event's header, else its message count."""
        if last is None:
            return 0
        found = version_of(last)
        if found is not None:
            return found
        # Written around the store (walnats emit(key=...)): count its messages.
        info = await self._nc.jetstream(timeout=self._timeout).stream_info(
            self._aggregate.name, subjects_filter=self._aggregate.subjects_of(aggregate_id)
        )
        return sum((info.state.subjects or {}).values())

    async def expectation(
        self, aggregate_id: str, expected: int, command_id: str | None
    ) -> tuple[int, Saved | None]:
        """The stream sequence to expect for *expected* version, or an earlier duplicate.

        Raises:
            walnats.ConcurrencyError: the aggregate is at another version.
        """
        if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
            raise walnats.ConfigError(
                f"expected_version must be an int >= 0 or a Loaded, got {expected!r}"
            )
        if expected == 0:
            return 0, None  # the server checks "no event yet" itself
        last = await self.last(aggregate_id)
        actual = await self.version(last, aggregate_id)
        if last is not None and actual == expected:
            return last.sequence, None
        mine = last is not None and command_of(header(last.headers, MSG_ID)) == command_id
        if last is not None and command_id is not None and mine:
            return 0, self._saved(aggregate_id, actual, last.sequence)
        name = self._aggregate.name
        raise walnats.ConcurrencyError(
            f"aggregate {name}/{aggregate_id} is at version {actual}, not the expected "
            f"{expected}; reload it and run the command again",
            expected=expected,
            actual=actual,
        )

    async def own_write(
        self, aggregate_id: str, version: int, sequence: int, cid: str, count: int
    ) -> Saved | None:
        """After a conflict: are the *count* events after *sequence* ours, from a retry?"""
        found: list[StoredMessage] = []
        async for chunk in self.read(aggregate_id, start=sequence + 1, limit=count):
            found.extend(chunk)
        ids = [header(m.headers, MSG_ID) for m in found]
        if not found or ids != [f"{cid}.{n}" for n in range(1, count + 1)]:
            return None
        return self._saved(aggregate_id, version + count, found[-1].sequence)

    async def latest_duplicate(self, aggregate_id: str) -> Saved:
        """A duplicate receipt naming the aggregate's latest event."""
        last = await self.last(aggregate_id)
        version = await self.version(last, aggregate_id)
        return self._saved(aggregate_id, version, last.sequence if last is not None else 0)

    async def conflict(self, aggregate_id: str, expected: int, sequence: int | None) -> Exception:
        """The :class:`walnats.ConcurrencyError` for a failed expectation."""
        actual = await self.version(await self.last(aggregate_id), aggregate_id)
        return walnats.ConcurrencyError(
            f"aggregate {self._aggregate.name}/{aggregate_id} moved: expected version "
            f"{expected}, found {actual} (last event at "
            f"stream sequence {sequence}). Another writer appended since it was loaded; "
            f"reload and run the command again (projections.retry_on_conflict does it).",
            expected=expected,
            actual=actual,
        )

    def _saved(self, aggregate_id: str, version: int, sequence: int) -> Saved:
        return Saved(self._aggregate.name, aggregate_id, version, sequence, 0, duplicate=True)
