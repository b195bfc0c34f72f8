"""Pass-through serializer for events whose payload is already bytes."""

from __future__ import annotations

from typing import Any

from walnats._errors import EncodeError

__all__ = ["RawBytes"]


class RawBytes:
    """Sends the message bytes as they are: the serializer of events with schema ``bytes``.

    Use it for payloads that are already encoded (images, Protobuf produced elsewhere,
    messages relayed from another system). ``bytearray`` and ``memoryview`` are
    accepted on encode and copied into ``bytes``.
    """

    content_type: str = "application/octet-stream"
    """Payloads are opaque bytes."""

    __slots__ = ()

    def encode(self, message: bytes | bytearray | memoryview) -> bytes:
        """Return *message* unchanged; raises EncodeError for anything but bytes-like objects."""
        if type(message) is bytes:
            return message
        if isinstance(message, bytes | bytearray | memoryview):
            return bytes(message)
        raise EncodeError(f"expected bytes, got {type(message).__qualname__}")

    def decode(self, data: bytes) -> bytes:
        """Return *data* unchanged."""
        return data

    def json_schema(self) -> dict[str, Any] | None:
        """A binary string, the AsyncAPI/OpenAPI convention for opaque payloads."""
        return {"type": "string", "format": "binary"}

    def __repr__(self) -> str:
        return "RawBytes()"
