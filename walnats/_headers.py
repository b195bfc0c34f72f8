"""NATS header helpers: case-insensitive lookup and CloudEvents value encoding.

Header names are case-insensitive (NATS ADR-4), but nats-py 2.x hands them over as a
plain, case-sensitive ``dict``, so every read in walnats goes through these helpers.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Mapping

from walnats._errors import CloudEventError

__all__ = [
    "ce_decode",
    "ce_encode",
    "ce_format_time",
    "ce_parse_time",
    "header_lookup",
    "lower_keys",
]

# Printable ASCII except space, '"' and '%' stays as is; everything else is
# percent-encoded as UTF-8 (CloudEvents NATS binding, "Header value encoding").
_CE_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"%')
_UNSAFE_ASCII = frozenset(' "%')  # printable ASCII that must be escaped
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)


def header_lookup(headers: Mapping[str, str] | None, name: str) -> str | None:
    """The value of header *name*, matched case-insensitively, or None when absent.

    Runs on every received message, so the exact spelling is tried first and the
    case-insensitive scan only happens when that misses. For several lookups in the
    same headers, call :func:`lower_keys` once instead.
    """
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of *headers* with lower-case names, for many case-insensitive lookups."""
    return {key.lower(): value for key, value in headers.items()}


def ce_encode(value: str) -> str:
    """Percent-encode a CloudEvents attribute value for a ``ce-`` header.

    Space, ``"``, ``%`` and every character outside printable ASCII become the
    ``%XY`` escapes of their UTF-8 bytes (upper-case hex), so any string, including
    emoji or line breaks, survives a NATS header unchanged.
    """
    # Fast path for the common case (ids, URIs, type names): nothing to escape.
    if value.isascii() and value.isprintable() and not _UNSAFE_ASCII.intersection(value):
        return value
    return urllib.parse.quote(value, safe=_CE_SAFE)


def ce_decode(value: str, header: str) -> str:
    """Decode the value of ``ce-`` header *header* as received from any sender.

    Accepts RFC 7230 double-quoted values (older senders), lower-case hex, needlessly
    encoded characters and values never encoded at all (Go SDK, walnats 1.x); a stray
    ``%`` is kept as is.

    Raises:
        CloudEventError: the escapes decode to invalid UTF-8 (such as the overlong
            ``%C0%A0``). Rejected rather than replaced, to never corrupt a value silently.
    """
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = _QUOTED_PAIR.sub(r"\1", value[1:-1])
    if "%" not in value:
        return value
    try:
        return urllib.parse.unquote(value, errors="strict")
    except UnicodeDecodeError as exc:
        raise CloudEventError(
            f"invalid {header} header: {value!r} percent-decodes to invalid UTF-8 "
            f"({exc.reason}); the sender must percent-encode the value's UTF-8 bytes"
        ) from None


def ce_format_time(time: dt.datetime) -> str:
    """A tz-aware *time* as RFC 3339 in UTC with a single ``Z``: ``2026-03-01T12:00:00Z``.

    Never ``+00:00Z``, the walnats 1.x bug that other SDKs reject.
    """
    return time.astimezone(dt.UTC).replace(tzinfo=None).isoformat() + "Z"


def ce_parse_time(value: str, header: str) -> dt.datetime:
    """Parse the RFC 3339 timestamp of ``ce-time`` (any offset; nanoseconds truncated).

    Raises:
        CloudEventError: *value* is not a timestamp or has no UTC offset.
    """
    value = value.upper()
    if value[-1:] == "Z" and value[-7:-6] in ("+", "-") and value[-4:-3] == ":":
        value = value[:-1]  # walnats 1.x sent "+00:00Z": unambiguous, so accepted
    try:
        time: dt.datetime | None = dt.datetime.fromisoformat(value)
    except ValueError:
        time = None
    if time is None or time.utcoffset() is None:
        raise CloudEventError(f"invalid {header}: {value!r} is not an RFC 3339 timestamp")
    return time
