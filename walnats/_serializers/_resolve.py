"""Choosing the serializer of an event from its schema, once, when the event is declared."""

from __future__ import annotations

from typing import Any

from walnats._errors import ConfigError
from walnats._serializers._base import Serializer, unsupported_schema
from walnats._serializers._msgspec import MsgspecJSON
from walnats._serializers._pydantic import PydanticJSON, is_pydantic_model, is_pydantic_v1_model
from walnats._serializers._raw import RawBytes

__all__ = ["resolve_serializer"]

_MEMBERS = ("content_type", "encode", "decode", "json_schema")
_MISSING = object()


def resolve_serializer(schema: Any, serializer: Serializer[Any] | None = None) -> Serializer[Any]:
    """Pick the serializer for an event with payload type *schema*.

    Called when an ``Event`` is declared, so that a schema walnats cannot serialize
    fails at import time instead of at the first emit. The rules, first match wins:

    1. an explicit *serializer* (it must implement the :class:`Serializer` protocol);
    2. ``bytes``: :class:`RawBytes`;
    3. a pydantic v2 ``BaseModel`` subclass: :class:`PydanticJSON`;
    4. anything msgspec can decode: :class:`MsgspecJSON`.

    Raises:
        ConfigError: *serializer* does not implement the protocol, or no serializer
            can handle *schema*.
    """
    if serializer is not None:
        _check_protocol(serializer)
        return serializer
    if schema is bytes:
        return RawBytes()
    if is_pydantic_model(schema):
        return PydanticJSON(schema)
    if is_pydantic_v1_model(schema):
        raise unsupported_schema(
            schema, "pydantic v1 models are not supported, derive from pydantic.BaseModel (v2)"
        )
    return MsgspecJSON(schema)


def _check_protocol(serializer: object) -> None:
    """Raise ConfigError unless *serializer* is a usable Serializer instance."""
    if isinstance(serializer, type):
        raise ConfigError(
            f"serializer must be an instance, got the class {serializer.__qualname__}: "
            f"pass serializer={serializer.__qualname__}(...)"
        )
    problems = []
    for name in _MEMBERS:
        value = getattr(serializer, name, _MISSING)
        if value is _MISSING:
            problems.append(f"it has no {name}")
        elif name == "content_type" and not isinstance(value, str):
            problems.append("its content_type is not a str")
        elif name != "content_type" and not callable(value):
            problems.append(f"its {name} is not callable")
    if problems:
        raise ConfigError(
            f"{type(serializer).__qualname__} is not a walnats Serializer: "
            f"{', '.join(problems)}. Implement content_type, encode(message) -> bytes, "
            f"decode(data) -> message and json_schema() -> dict | None."
        )
