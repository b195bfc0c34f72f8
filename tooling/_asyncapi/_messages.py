"""Component messages and schemas: what an event and a response look like on the wire.

Payload schemas come from the real payload types through
:func:`walnats._serializers.schema_components`, all types at once, so a type used by
several events is defined once and two different types with one name are an error
instead of a silently wrong document (walnats 1.x keyed schemas by ``__name__`` and
emitted ``{"type": "object"}`` for everything).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from walnats import (
    BaseEvent,
    ConfigError,
    EventWithResponse,
    GZip,
    MsgspecJSON,
    PydanticJSON,
    RawBytes,
    Serializer,
)
from walnats.plumbing import schema_components

from ._pointers import pointer

__all__ = ["HEADERS", "MessageCatalog"]

HEADERS = "walnats.Headers"
REQUEST_HEADERS = "walnats.RequestHeaders"
RESPONSE_HEADERS = "walnats.ResponseHeaders"
"""Schema keys of the header schemas. Dotted, so no payload type name can collide."""

_BUILTIN = (MsgspecJSON, PydanticJSON, RawBytes)
_TEXT = {"type": "string"}

_HEADER_SCHEMAS: dict[str, dict[str, Any]] = {
    HEADERS: {
        "type": "object",
        "description": "NATS headers of every walnats event. CloudEvents attributes "
        "(binary mode, values percent-encoded) are present when the publisher attaches "
        "a CloudEvent.",
        "required": ["Nats-Msg-Id"],
        "properties": {
            "Nats-Msg-Id": {
                **_TEXT,
                "description": "The event id; a repeat inside the stream's duplicate "
                "window is stored once.",
            },
            "Walnats-Trace": {**_TEXT, "description": "Trace id given to emit()."},
            "Walnats-Target": {
                **_TEXT,
                "description": "On a re-driven dead letter: the one actor that handles it.",
            },
            "ce-specversion": {"const": "1.0"},
            "ce-id": _TEXT,
            "ce-source": {**_TEXT, "format": "uri-reference"},
            "ce-type": _TEXT,
            "ce-time": {**_TEXT, "format": "date-time"},
            "ce-datacontenttype": _TEXT,
            "ce-dataschema": _TEXT,
            "ce-subject": _TEXT,
            "ce-correlationid": _TEXT,
            "ce-causationid": _TEXT,
            "content-type": _TEXT,
            "traceparent": _TEXT,
        },
    },
    REQUEST_HEADERS: {
        "allOf": [
            {"$ref": pointer("components", "schemas", HEADERS)},
            {
                "type": "object",
                "required": ["Walnats-Reply"],
                "properties": {
                    "Walnats-Reply": {
                        **_TEXT,
                        "description": "Inbox subject the response is published to.",
                    },
                    "Walnats-Expires": {
                        **_TEXT,
                        "description": "Unix time after which the requester stopped "
                        "waiting; the actor skips the request then.",
                    },
                },
            },
        ]
    },
    RESPONSE_HEADERS: {
        "type": "object",
        "properties": {
            "Walnats-Error": {
                **_TEXT,
                "description": "Set when the actor failed: error type and message. "
                "The payload is empty then.",
            }
        },
    },
}

CORRELATION_IDS = {
    "eventId": {
        "location": "$message.header#/Nats-Msg-Id",
        "description": "The event id, unique per event.",
    }
}


@dataclass
class _Pending:
    key: str
    schema: Any
    codec: Serializer[Any]


class MessageCatalog:
    """Collects the messages of a document; :meth:`finish` resolves all payloads at once."""

    def __init__(self) -> None:
        self.messages: dict[str, dict[str, Any]] = {}
        self.schemas: dict[str, dict[str, Any]] = {}
        self._pending: list[_Pending] = []
        self._headers: set[str] = set()

    def event(self, event: BaseEvent[Any, Any]) -> str:
        """Add the message of *event* (once); return its component key."""
        key = event.name
        if key not in self.messages:
            request = isinstance(event, EventWithResponse)
            headers = REQUEST_HEADERS if request else HEADERS
            message = self._message(event.name, event.schema, event.codec, headers)
            if event.description:
                message["description"] = event.description
            message["correlationId"] = {"$ref": pointer("components", "correlationIds", "eventId")}
            self.messages[key] = message
        return key

    def response(self, event: EventWithResponse[Any, Any]) -> str:
        """Add the response message of a request event; return its component key."""
        key = f"{event.name}.response"
        if key not in self.messages:
            self.messages[key] = self._message(
                key, event.response_schema, event.response_codec, RESPONSE_HEADERS
            )
        return key

    def _message(
        self, key: str, schema: Any, codec: Serializer[Any], headers: str
    ) -> dict[str, Any]:
        self._headers.add(headers)
        if headers == REQUEST_HEADERS:
            self._headers.add(HEADERS)
        message: dict[str, Any] = {
            "name": key,
            "title": _type_name(schema),
            "contentType": codec.content_type,
            "headers": {"$ref": pointer("components", "schemas", headers)},
        }
        if isinstance(codec, GZip):
            message["x-content-encoding"] = codec.content_encoding
        self._pending.append(_Pending(key, schema, codec))
        return message

    def finish(self) -> dict[str, Any]:
        """Resolve every payload; return ``messages``, ``schemas`` and ``correlationIds``.

        Raises:
            ConfigError: two different payload types share a name.
        """
        typed: list[_Pending] = []
        for item in self._pending:
            if _builtin(item.codec) and _has_schema(item.schema):
                typed.append(item)
            else:
                payload = _custom_schema(item.codec)
                if payload is not None:
                    self.messages[item.key]["payload"] = payload
        if typed:
            payloads, definitions = schema_components([item.schema for item in typed])
            for item, payload in zip(typed, payloads, strict=True):
                self.messages[item.key]["payload"] = payload
            self.schemas.update(definitions)
        for name in sorted(self._headers):
            self.schemas[name] = _HEADER_SCHEMAS[name]
        components: dict[str, Any] = {"messages": self.messages, "schemas": self.schemas}
        if any("correlationId" in message for message in self.messages.values()):
            components["correlationIds"] = CORRELATION_IDS
        return components


def _builtin(codec: Serializer[Any]) -> bool:
    """Whether the payload is what a built-in serializer makes of the schema type."""
    while isinstance(codec, GZip):
        codec = codec.inner
    return isinstance(codec, _BUILTIN)


def _has_schema(schema: Any) -> bool:
    """Whether ``schema_components`` can describe *schema* (types behind msgspec hooks
    cannot); those fall back to the serializer's own ``json_schema()``."""
    try:
        schema_components([schema])
    except ConfigError:
        return False
    return True


def _custom_schema(codec: Serializer[Any]) -> dict[str, Any] | None:
    """A custom serializer's own schema; ``None`` leaves the payload undescribed."""
    try:
        return codec.json_schema()
    except Exception:  # noqa: BLE001 - a broken user hook must not break the document
        return None


def _type_name(schema: Any) -> str:
    if isinstance(schema, type) and not getattr(schema, "__args__", None):
        return schema.__qualname__
    return repr(schema).replace("typing.", "")
