"""The :class:`Serializer` protocol that turns event payloads into bytes and back."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, runtime_checkable

from walnats._errors import ConfigError

__all__ = ["Serializer", "T", "type_name", "unsupported_schema"]

T = TypeVar("T")


@runtime_checkable
class Serializer(Protocol[T]):
    """Converts the messages of one event to bytes and back.

    walnats picks one for every ``Event`` when it is declared (see
    :func:`resolve_serializer`). Implement this protocol and pass ``serializer=`` to an
    ``Event`` when the payload needs a format walnats does not ship, such as
    MessagePack, Protobuf or CSV. ``encode`` and ``decode`` run once per message, so
    build any encoder or schema object in ``__init__``, not per call.
    """

    content_type: str
    """MIME type of the encoded bytes, such as ``application/json``.

    Sent as the ``content-type`` and ``ce-datacontenttype`` headers.
    """

    def encode(self, message: T) -> bytes:
        """Turn a message into bytes before it is emitted.

        Raises:
            EncodeError: *message* does not match the event's schema.
        """
        ...

    def decode(self, data: bytes) -> T:
        """Turn received bytes back into a message before a handler sees it.

        Raises:
            DecodeError: *data* is malformed or does not match the schema. Retrying
                cannot help, so actors send such messages to dead letters.
        """
        ...

    def json_schema(self) -> dict[str, Any] | None:
        """The JSON Schema of the payload, used for the AsyncAPI document.

        Return ``None`` when the payload is not JSON or its schema is unknown.
        """
        ...


def type_name(schema: Any) -> str:
    """A short, readable name of *schema* for error messages: ``OrderPlaced``, ``list[int]``."""
    if isinstance(schema, type):
        return schema.__qualname__
    if schema is None:
        return "None"
    return repr(schema).replace("typing.", "")


def unsupported_schema(schema: Any, reason: str) -> ConfigError:
    """The error for a schema no built-in serializer handles, raised when an event is declared."""
    return ConfigError(
        f"walnats cannot serialize {schema!r}: {reason}. Use a msgspec Struct, a dataclass, "
        f"a pydantic model, a primitive type, or pass serializer=..."
    )
