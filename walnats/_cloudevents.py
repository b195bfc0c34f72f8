"""CloudEvents 1.0 over NATS: binary mode (``ce-`` headers) and structured JSON mode.

Emit binary mode with percent-encoded values plus a plain ``content-type``; parse
leniently (any header case, unencoded or quoted values) but never corrupt silently.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from walnats._errors import CloudEventError, ConfigError, EncodeError
from walnats._headers import (
    ce_decode,
    ce_encode,
    ce_format_time,
    ce_parse_time,
    header_lookup,
)

__all__ = [
    "CloudEvent",
    "STRUCTURED_CONTENT_TYPE",
    "ce_decode",
    "ce_encode",
    "is_structured",
    "read_cloud_event",
    "unwrap_structured",
]

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
"""``content-type`` of a structured-mode message: the whole event is one JSON document."""

_REQUIRED = ("specversion", "id", "source", "type")
_OPTIONAL = ("time", "datacontenttype", "dataschema", "subject")
_RESERVED = frozenset((*_REQUIRED, *_OPTIONAL, "data", "data_base64"))
_EXTENSION_NAME = re.compile(r"[a-z0-9]{1,20}")
_STRUCTURED = msgspec.json.Decoder(dict[str, msgspec.Raw])  # "data" stays raw JSON bytes
_VALUE = msgspec.json.Decoder()


@dataclass(frozen=True, slots=True)
class CloudEvent:
    """The CloudEvents 1.0 context of one event: who sent what, when, and why.

    Attach it so that other CloudEvents-aware systems (Knative, Go or Java services)
    understand the message. By default it travels as ``ce-*`` headers next to the
    unchanged payload (:meth:`as_headers`); structured mode (:meth:`to_structured`)
    wraps the payload in JSON for consumers that cannot read headers.

    Raises:
        ConfigError: an attribute is empty, ``time`` is naive, or an extension name
            is invalid.
    """

    id: str
    """Unique per event, e.g. a UUIDv7 or ULID; walnats also sends it as ``Nats-Msg-Id``."""
    source: str
    """URI-reference of the producing service, such as ``/billing/eu-1``."""
    type: str
    """Event type with a version suffix, such as ``billing.invoice.issued.v1``."""
    specversion: str = "1.0"
    """CloudEvents version. Only 1.0 exists for NATS."""
    time: dt.datetime | None = None
    """When the event happened. Must be tz-aware; sent as RFC 3339 UTC with a ``Z``."""
    datacontenttype: str | None = None
    """Media type of the payload, usually the serializer's ``content_type``."""
    dataschema: str | None = None
    """URI of the payload's JSON Schema, e.g. its AsyncAPI component."""
    subject: str | None = None
    """What the event is about within the source, e.g. the aggregate id."""
    extensions: Mapping[str, str] = field(default_factory=dict)
    """Extension attributes such as ``correlationid``, ``causationid``, ``traceparent``.

    Names are 1-20 lower-case letters or digits and must not shadow a core attribute.
    """

    def __post_init__(self) -> None:
        for name, value in (("id", self.id), ("source", self.source), ("type", self.type)):
            if not value or not isinstance(value, str):
                raise ConfigError(f"CloudEvent {name} must be a non-empty str")
        if self.specversion != "1.0":
            raise ConfigError(f"CloudEvent specversion must be '1.0', got {self.specversion!r}")
        if self.time is not None and self.time.utcoffset() is None:
            raise ConfigError("CloudEvent time must be timezone-aware, e.g. datetime.now(UTC)")
        ct = self.datacontenttype
        if ct is not None and not (ct and ct.isascii() and ct.isprintable()):
            raise ConfigError(f"CloudEvent datacontenttype {ct!r} is not a media type")
        for name, value in self.extensions.items():
            if not _EXTENSION_NAME.fullmatch(name) or name in _RESERVED:
                raise ConfigError(
                    f"invalid CloudEvent extension name {name!r}: use 1-20 lower-case "
                    f"letters or digits, not a core attribute name"
                )
            if not isinstance(value, str):
                raise ConfigError(f"CloudEvent extension {name!r} must be a str, not {value!r}")
        # A private copy: the event is frozen, the caller's dict is not.
        object.__setattr__(self, "extensions", dict(self.extensions))

    def as_headers(self) -> dict[str, str]:
        """NATS headers for binary mode: one percent-encoded ``ce-<attribute>`` each.

        ``datacontenttype`` is also sent as a plain ``content-type`` header, which
        FastStream and the Go SDK read and which does not switch to structured mode.
        """
        headers = {
            "ce-specversion": self.specversion,
            "ce-id": ce_encode(self.id),
            "ce-source": ce_encode(self.source),
            "ce-type": ce_encode(self.type),
        }
        if self.time is not None:
            headers["ce-time"] = ce_format_time(self.time)
        if self.datacontenttype is not None:
            headers["ce-datacontenttype"] = ce_encode(self.datacontenttype)
            headers["content-type"] = self.datacontenttype
        for name, value in (("dataschema", self.dataschema), ("subject", self.subject)):
            if value is not None:
                headers[f"ce-{name}"] = ce_encode(value)
        for name, value in self.extensions.items():
            headers[f"ce-{name}"] = ce_encode(value)
        return headers

    @classmethod
    def from_headers(cls, headers: Mapping[str, str] | None) -> CloudEvent | None:
        """Read a binary-mode CloudEvent from received NATS headers, matched in any case.

        None without ``ce-specversion``: a plain message. ``content-type`` stands in for
        ``ce-datacontenttype``; other ``ce-`` headers are extensions. Check
        :func:`is_structured` first, or use :func:`read_cloud_event`.

        Raises:
            CloudEventError: required attributes are missing (all are named), or a
                header value is malformed (the header is named).
        """
        if not headers:
            return None
        raw: dict[str, str] = {}  # one pass: names lower-cased, "ce-" kept
        content_type = None
        for key, value in headers.items():
            name = key.lower()
            if name[:3] == "ce-":
                raw[name] = value
            elif name == "content-type":
                content_type = value
        if "ce-specversion" not in raw:
            return None
        values = {name[3:]: ce_decode(value, name) for name, value in raw.items()}
        if not values.get("datacontenttype") and content_type:
            values["datacontenttype"] = content_type.strip()  # a plain, unencoded header
        return _from_attributes(values, prefix="ce-")

    def to_structured(self, data: bytes) -> bytes:
        """The event and its payload *data* as one ``application/cloudevents+json`` document.

        For consumers that cannot read headers; send it with ``content-type:
        application/cloudevents+json``. JSON payloads (by ``datacontenttype``) are
        embedded as ``data``, anything else goes base64 encoded into ``data_base64``.

        Raises:
            EncodeError: ``datacontenttype`` says JSON but *data* is not valid JSON.
        """
        document: dict[str, Any] = {
            name: value
            for name in (*_REQUIRED, *_OPTIONAL)
            if (value := getattr(self, name)) is not None
        }
        if self.time is not None:
            document["time"] = ce_format_time(self.time)
        document.update(self.extensions)
        if data and _is_json(self.datacontenttype):
            try:
                document["data"] = msgspec.json.decode(data, type=msgspec.Raw)
            except msgspec.DecodeError as exc:
                raise EncodeError(
                    f"cannot embed the data of CloudEvent {self.id!r}: datacontenttype is "
                    f"{self.datacontenttype!r} but the payload is not valid JSON ({exc})"
                ) from exc
        elif data:
            document["data_base64"] = base64.b64encode(data).decode("ascii")
        return msgspec.json.encode(document)

    @classmethod
    def from_structured(cls, payload: bytes) -> tuple[CloudEvent, bytes]:
        """Split a structured-mode message into the event and its payload bytes.

        ``data`` comes back as its JSON text (the text itself for a string with a
        non-JSON ``datacontenttype``), ``data_base64`` decoded, no data as ``b""``.

        Raises:
            CloudEventError: *payload* is not a JSON object, an attribute has the wrong
                type, required attributes are missing, or ``data_base64`` is invalid.
        """
        try:
            document = _STRUCTURED.decode(payload)
        except msgspec.DecodeError as exc:
            raise CloudEventError(f"structured CloudEvent is not a JSON object: {exc}") from None
        raw_data, raw_base64 = (_pop_member(document, name) for name in ("data", "data_base64"))
        values: dict[str, str] = {}
        for name, raw in document.items():
            value = _VALUE.decode(raw)
            if value is None:
                continue  # JSON null means "absent" in the CloudEvents JSON format
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, int) and name not in _RESERVED:
                value = str(value)  # extensions may be of CloudEvents type Integer
            if not isinstance(value, str):
                raise CloudEventError(f"structured CloudEvent attribute {name!r} must be a string")
            values[name] = value
        event = _from_attributes(values, prefix="")
        if raw_data is not None and raw_base64 is not None:
            raise CloudEventError("structured CloudEvent has both data and data_base64")
        if raw_base64 is not None:
            return event, _decode_base64(raw_base64)
        if raw_data is None:
            return event, b""
        data = bytes(raw_data)
        if data[:1] == b'"' and not _is_json(event.datacontenttype or "application/json"):
            return event, msgspec.json.decode(data, type=str).encode()
        return event, data


def is_structured(headers: Mapping[str, str] | None) -> bool:
    """Whether a received message is a structured-mode CloudEvent (by its content type)."""
    content_type = header_lookup(headers, "content-type")
    return content_type is not None and "application/cloudevents" in content_type.lower()


def unwrap_structured(headers: Mapping[str, str], payload: bytes) -> bytes:
    """The event data of a structured-mode message, or *payload* unchanged.

    Raises:
        CloudEventError: the message claims to be structured but is malformed.
    """
    if is_structured(headers):
        return CloudEvent.from_structured(payload)[1]
    return payload


def read_cloud_event(
    headers: Mapping[str, str] | None, payload: bytes
) -> tuple[CloudEvent | None, bytes]:
    """The CloudEvent of a received message, if any, and the payload to decode.

    Structured mode when the content type is ``application/cloudevents...``, binary
    mode with ``ce-specversion``, else a plain message: ``None``, payload unchanged.

    Raises:
        CloudEventError: the message claims to be a CloudEvent but is malformed.
    """
    if is_structured(headers):
        return CloudEvent.from_structured(payload)
    return CloudEvent.from_headers(headers), payload


def _from_attributes(values: dict[str, str], prefix: str) -> CloudEvent:
    """Build and validate a CloudEvent from decoded attribute strings (consumed)."""
    missing = [prefix + name for name in _REQUIRED if not values.get(name)]
    if missing:
        raise CloudEventError(f"CloudEvent is missing required attributes: {', '.join(missing)}")
    if (version := values.pop("specversion")) != "1.0":
        raise CloudEventError(f"{prefix}specversion is {version!r}, walnats reads 1.0 only")
    time = values.pop("time", None)
    invalid = sorted(prefix + name for name in values if not _EXTENSION_NAME.fullmatch(name))
    if invalid:
        raise CloudEventError(
            f"invalid CloudEvent extension names: {', '.join(invalid)}; names are 1-20 "
            f"lower-case letters or digits"
        )
    try:
        return CloudEvent(
            id=values.pop("id"),
            source=values.pop("source"),
            type=values.pop("type"),
            time=ce_parse_time(time, prefix + "time") if time else None,
            datacontenttype=values.pop("datacontenttype", None) or None,
            dataschema=values.pop("dataschema", None) or None,
            subject=values.pop("subject", None) or None,
            extensions=values,
        )
    except ConfigError as exc:  # e.g. a datacontenttype with control characters
        raise CloudEventError(str(exc)) from None


def _is_json(content_type: str | None) -> bool:
    """Whether a media type is JSON (``application/json``, ``text/json``, ``*/*+json``)."""
    if not content_type:
        return False
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type in ("application/json", "text/json") or media_type.endswith("+json")


def _pop_member(document: dict[str, msgspec.Raw], name: str) -> msgspec.Raw | None:
    """Remove a member from a structured event; JSON null counts as absent."""
    raw = document.pop(name, None)
    return None if raw is None or bytes(raw) == b"null" else raw


def _decode_base64(raw: msgspec.Raw) -> bytes:
    """Decode the ``data_base64`` member strictly."""
    try:
        return base64.b64decode(msgspec.json.decode(raw, type=str), validate=True)
    except (msgspec.DecodeError, binascii.Error) as exc:
        raise CloudEventError(f"structured CloudEvent has invalid data_base64: {exc}") from None
