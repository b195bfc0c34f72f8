"""Appending one command's events: one OCC-checked publish, or one atomic batch.

Every append is a request with a reply (never ``publish_async``, whose future never
resolves when the server rejects an OCC check: the trap in reference/jetstream.md).

* One event: a publish carrying ``Nats-Expected-Last-Subject-Sequence`` (the stream
  sequence of the aggregate's last event, ``0`` for a new aggregate) and
  ``Nats-Expected-Last-Subject-Sequence-Subject: <type>.<id>.*`` [server 2.11].
* Several events [server 2.12, stream ``allow_atomic``]: each message carries
  ``Nats-Batch-Id`` and ``Nats-Batch-Sequence`` (1, 2, ...); the first one also
  carries the expectation, the last one ``Nats-Batch-Commit: 1`` and the reply inbox.
  The server checks the expectation under the stream lock at commit and stores all
  messages or none: a stale expectation is ``10071``, a message it refuses (too large,
  no stream) makes the batch ``10176 incomplete``, an abandoned batch (client died
  before the commit) is dropped after 10 s. At most 1,000 messages per batch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
from nats.errors import NoRespondersError
from nats.nuid import NUID

import walnats

from ._changes import NewEvent
from ._replay import MSG_ID, SCHEMA_HEADER, VERSION_HEADER

if TYPE_CHECKING:
    from nats.aio.client import Client

    from ._aggregate import Aggregate

__all__ = [
    "EXPECTED_SUBJECT",
    "MAX_BATCH",
    "Ack",
    "Conflict",
    "DuplicateCommand",
    "Outgoing",
    "append",
    "check_command_id",
    "encode_events",
]

EXPECTED_SEQUENCE = "Nats-Expected-Last-Subject-Sequence"
EXPECTED_SUBJECT = "Nats-Expected-Last-Subject-Sequence-Subject"  # no nats-py constant
BATCH_ID = "Nats-Batch-Id"
BATCH_SEQUENCE = "Nats-Batch-Sequence"
BATCH_COMMIT = "Nats-Batch-Commit"
MAX_BATCH = 1000
"""Messages per atomic batch the server accepts (ADR-50; error 10199 beyond)."""

_OCC_CONFLICT = (10071, 10164)
_BATCH_DUPLICATE = 10201
_BATCH_INCOMPLETE = 10176
_LAST_SEQUENCE = re.compile(r"wrong last sequence: (\d+)")
_COMMAND_ID = re.compile(r"^[^\s]{1,200}$")
_nuid = NUID()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One encoded event ready to publish."""

    subject: str
    data: bytes
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Ack:
    """The server stored the events (or had them already)."""

    stream: str
    sequence: int
    """Stream sequence of the last event."""
    duplicate: bool


class Conflict(Exception):
    """The expectation failed: the aggregate's last event is at *actual_sequence*."""

    def __init__(self, actual_sequence: int | None) -> None:
        self.actual_sequence = actual_sequence
        super().__init__(actual_sequence)


class DuplicateCommand(Exception):
    """An atomic batch reused message ids that the stream stored inside its window."""


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


async def append(
    nc: Client,
    messages: Sequence[Outgoing],
    *,
    expected_sequence: int,
    expected_subject: str,
    timeout: float,
) -> Ack:
    """Publish *messages* as one all-or-nothing unit, checked against the expectation.

    Raises:
        Conflict: another writer appended to the aggregate.
        DuplicateCommand: an atomic batch was already stored under the same ids.
        walnats.StreamNotFound: no stream captures the subjects.
        walnats.EmitError: the server refused the events (none stored) or did not
            answer (outcome unknown: retry with the same command id).
    """
    if not messages:
        raise ValueError("append() needs at least one message")
    first = messages[0].headers
    first[EXPECTED_SEQUENCE] = str(expected_sequence)
    first[EXPECTED_SUBJECT] = expected_subject
    last = messages[-1]
    if len(messages) > 1:
        batch_id = _nuid.next().decode()
        for index, message in enumerate(messages, start=1):
            message.headers[BATCH_ID] = batch_id
            message.headers[BATCH_SEQUENCE] = str(index)
        last.headers[BATCH_COMMIT] = "1"
        for message in messages[:-1]:
            try:
                await nc.publish(message.subject, message.data, headers=message.headers)
            except Exception as exc:
                # The batch never gets its commit: the server drops it, nothing is stored.
                raise walnats.EmitError(
                    f"cannot publish to {message.subject!r} ({exc or type(exc).__name__}); "
                    f"the command's events were not stored"
                ) from exc
    try:
        reply = await nc.request(last.subject, last.data, headers=last.headers, timeout=timeout)
    except NoRespondersError:
        raise walnats.StreamNotFound(
            f"no stream stores {last.subject!r}; register the aggregate first "
            f"(`await store.register()`)"
        ) from None
    except TimeoutError:
        raise walnats.EmitError(
            f"no acknowledgement for the events on {last.subject!r} within {timeout:g}s: "
            f"they may or may not be stored. Retry with the same command_id; a stored "
            f"copy is then reported as a duplicate, not appended twice."
        ) from None
    return _parse(reply.data, last.subject, len(messages))


def _parse(data: bytes, subject: str, count: int) -> Ack:
    try:
        ack = _decode_ack(data)
    except msgspec.DecodeError:
        raise walnats.EmitError(
            f"unreadable acknowledgement for {subject!r}: {data[:200]!r}"
        ) from None
    error = ack.error
    if error is None:
        return Ack(ack.stream, ack.seq, ack.duplicate)
    if error.err_code in _OCC_CONFLICT:
        match = _LAST_SEQUENCE.search(error.description)
        raise Conflict(int(match.group(1)) if match else None)
    if error.err_code == _BATCH_DUPLICATE:
        raise DuplicateCommand(error.description)
    what = "none of the command's events were stored" if count > 1 else "the event was not stored"
    hint = (
        " One event was refused (too large for the stream's max_msg_size or the "
        "server's max_payload?)."
        if error.err_code == _BATCH_INCOMPLETE
        else ""
    )
    raise walnats.EmitError(
        f"the server refused the events on {subject!r}: {error.description} "
        f"(err_code {error.err_code}); {what}.{hint}"
    )


def check_command_id(command_id: object) -> None:
    """Refuse a command id that cannot become a ``Nats-Msg-Id`` prefix."""
    if command_id is not None and not (
        isinstance(command_id, str) and _COMMAND_ID.match(command_id)
    ):
        raise walnats.ConfigError(
            f"command_id must be 1 to 200 characters without whitespace, got {command_id!r}"
        )


def encode_events(
    aggregate: Aggregate[Any],
    aggregate_id: str,
    events: Sequence[NewEvent],
    *,
    version: int,
    cid: str,
    meta: Mapping[str, str] | None,
    max_payload: int,
) -> list[Outgoing]:
    """Encode and check every event before anything is sent.

    Raises:
        walnats.ConfigError: no events, too many, or one not of this aggregate.
        walnats.EncodeError: a payload does not match its event, or is too large.
    """
    name = aggregate.name
    if not events:
        raise walnats.ConfigError(
            f"aggregate {name!r}: save() needs at least one event; a command that decides "
            f"nothing returns [] to execute(), which then saves nothing"
        )
    if len(events) > MAX_BATCH:
        raise walnats.ConfigError(
            f"aggregate {name!r}: a command may append at most {MAX_BATCH} events "
            f"atomically, got {len(events)}; split the command"
        )
    outgoing = []
    for index, item in enumerate(events, start=1):
        if not isinstance(item, NewEvent):
            raise walnats.ConfigError(
                f"aggregate {name!r}: commands return projections.new(EVENT, payload) "
                f"items, got {item!r}"
            )
        applier = aggregate._applier_for(item.event)
        data = item.event.encode(item.payload)
        if max_payload and len(data) > max_payload:
            raise walnats.EncodeError(
                f"event {item.event.name!r} encodes to {len(data)} bytes, more than the "
                f"server's max_payload of {max_payload}; nothing was stored"
            )
        headers = dict(meta or {})
        headers[MSG_ID] = f"{cid}.{index}"
        headers[VERSION_HEADER] = str(version + index)
        headers[SCHEMA_HEADER] = str(applier.version)
        outgoing.append(Outgoing(aggregate.subject(aggregate_id, item.event.name), data, headers))
    return outgoing
