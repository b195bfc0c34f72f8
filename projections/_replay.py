"""Turning one stored message into the payloads its aggregate applies today."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

import walnats

from ._errors import ReplayError
from ._reader import header
from ._upcasting import RawEvent

if TYPE_CHECKING:
    from ._aggregate import Aggregate
    from ._changes import Applier
    from ._reader import StoredMessage

__all__ = ["MSG_ID", "SCHEMA_HEADER", "VERSION_HEADER", "decode_stored", "schema_of"]

VERSION_HEADER = "Walnats-Version"
"""Aggregate version after this event: 1 for the first event of an aggregate."""
SCHEMA_HEADER = "Walnats-Schema-Version"
"""Schema version of the payload (1 when absent)."""
MSG_ID = "Nats-Msg-Id"


def schema_of(message: StoredMessage) -> int:
    """The payload's schema version from its header (1 when absent)."""
    value = header(message.headers, SCHEMA_HEADER)
    try:
        return int(value) if value is not None else 1
    except ValueError:
        raise ReplayError(
            f"{message.subject} (stream sequence {message.sequence}) has an invalid "
            f"{SCHEMA_HEADER} header {value!r}"
        ) from None


def decode_stored(
    aggregate: Aggregate[Any], message: StoredMessage
) -> list[tuple[Applier[Any], Any]]:
    """The ``(applier, payload)`` pairs one stored message stands for, after upcasting.

    Raises:
        ReplayError: no apply or upcaster knows the event, no upcaster brings its
            schema version to the current one, or the payload does not decode.
    """
    name = message.subject.rsplit(".", 1)[-1]
    version = schema_of(message)
    upcasters = aggregate.upcaster_registry
    where = f"{message.subject} (stream sequence {message.sequence})"
    if (name, version) not in upcasters:
        applier = _applier(aggregate, name, version, where)
        return [(applier, _decode(applier, message.data, where))]
    try:
        document = msgspec.json.decode(message.data)
    except msgspec.DecodeError as exc:
        raise ReplayError(
            f"{where}: the payload is not JSON, so it cannot be upcast ({exc})"
        ) from None
    pairs = []
    for record in upcasters.upcast(RawEvent(name, version, document)):
        applier = _applier(aggregate, record.name, record.version, where)
        pairs.append((applier, _decode(applier, msgspec.json.encode(record.data), where)))
    return pairs


def _applier(aggregate: Aggregate[Any], name: str, version: int, where: str) -> Applier[Any]:
    applier = aggregate.applier(name)
    if applier is None:
        raise ReplayError(
            f"{where}: aggregate {aggregate.name!r} has no apply for event {name!r} "
            f"v{version}. Add projections.on(...) for it, or an Upcaster that renames "
            f"or drops it (many=True returning [])."
        )
    if version != applier.version:
        raise ReplayError(
            f"{where}: event {name!r} is stored as v{version} but the aggregate applies "
            f"v{applier.version}; add an Upcaster({name!r}, {version}, ...) chain to "
            f"v{applier.version}"
        )
    return applier


def _decode(applier: Applier[Any], data: bytes, where: str) -> Any:
    try:
        return applier.event.decode(data)
    except walnats.DecodeError as exc:
        raise ReplayError(f"{where}: {exc}") from None
