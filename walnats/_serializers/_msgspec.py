"""The default serializer: JSON through msgspec, validated against the schema on decode."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, Generic, overload

import msgspec
import msgspec.inspect

from walnats._errors import DecodeError, EncodeError
from walnats._serializers._base import T, type_name, unsupported_schema

__all__ = ["MsgspecJSON"]


class MsgspecJSON(Generic[T]):
    """JSON via msgspec: the default serializer of every schema msgspec understands.

    That covers msgspec Structs, dataclasses, attrs classes, TypedDict, NamedTuple,
    enums, primitives, ``datetime``/``date``/``time``, ``UUID``, ``Decimal``, and
    containers, unions, ``Optional`` and ``Literal`` of those. Decoding validates the
    payload against the schema. The schema is checked when the serializer is built, so
    an unsupported type fails when the event is declared rather than at the first emit.

    Pass *enc_hook* and *dec_hook* (see the msgspec docs on extending) to support
    custom types; then the declaration-time check for custom types is skipped.
    """

    content_type: str = "application/json"
    """Payloads are JSON documents."""

    @overload
    def __init__(
        self: MsgspecJSON[T],
        schema: type[T],
        *,
        enc_hook: Callable[[Any], Any] | None = None,
        dec_hook: Callable[[type, Any], Any] | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: MsgspecJSON[Any],
        schema: Any,
        *,
        enc_hook: Callable[[Any], Any] | None = None,
        dec_hook: Callable[[type, Any], Any] | None = None,
    ) -> None: ...

    def __init__(
        self,
        schema: Any,
        *,
        enc_hook: Callable[[Any], Any] | None = None,
        dec_hook: Callable[[type, Any], Any] | None = None,
    ) -> None:
        try:
            decoder = msgspec.json.Decoder(schema, dec_hook=dec_hook)
            # msgspec accepts any class as a "custom type" and fails only on the first
            # decode; without a dec_hook that can never work, so reject it now.
            custom = None if dec_hook is not None else _find_custom_type(schema)
        except (TypeError, NameError) as exc:  # NameError: an annotation is not defined
            raise unsupported_schema(schema, str(exc).rstrip(".")) from None
        if custom is not None:
            raise unsupported_schema(schema, f"{type_name(custom)} is not a type msgspec supports")
        self.schema: Any = schema
        """The payload type given to the constructor."""
        self._name = type_name(schema)
        self._cls = _instance_check(schema)
        # Bound methods fetched once: encode/decode run per message.
        self._encode = msgspec.json.Encoder(enc_hook=enc_hook).encode
        self._decode: Callable[[bytes], T] = decoder.decode

    def encode(self, message: T) -> bytes:
        """Encode *message* as JSON; raises EncodeError when it is not an instance of the schema."""
        cls = self._cls
        # msgspec does not type-check on encode: without this an OrderPaid emitted as
        # OrderPlaced would be sent and fail only in every consumer.
        if cls is not None and not isinstance(message, cls):
            raise EncodeError(f"expected {self._name}, got {type(message).__qualname__}")
        try:
            return self._encode(message)
        except (TypeError, msgspec.EncodeError) as exc:
            got = type(message).__qualname__
            raise EncodeError(f"cannot encode {got} as {self._name}: {exc}") from exc

    def decode(self, data: bytes) -> T:
        """Decode and validate JSON *data*; raises DecodeError naming the schema and the path."""
        try:
            return self._decode(data)
        except msgspec.DecodeError as exc:
            raise DecodeError(f"cannot decode {self._name}: {exc}") from exc

    def json_schema(self) -> dict[str, Any] | None:
        """The JSON Schema of the payload, or None for custom types handled by hooks."""
        try:
            return msgspec.json.schema(self.schema)
        except TypeError:
            return None

    def __repr__(self) -> str:
        return f"MsgspecJSON({self._name})"


def _find_custom_type(schema: Any) -> type | None:
    """The first type inside *schema* that msgspec can only handle through hooks, if any."""
    stack: list[Any] = [msgspec.inspect.type_info(schema)]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # recursive Structs and dataclasses form cycles
            continue
        seen.add(id(node))
        if isinstance(node, msgspec.inspect.CustomType):
            return node.cls
        for name in node.__struct_fields__:
            value = getattr(node, name)
            if isinstance(value, msgspec.inspect.Type):
                stack.append(value)
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, msgspec.inspect.Field):
                        stack.append(item.type)
                    elif isinstance(item, msgspec.inspect.Type):
                        stack.append(item)
    return None


def _instance_check(schema: Any) -> type | tuple[type, ...] | None:
    """What ``encode`` checks messages against with isinstance, or None when it cannot."""
    if schema is None:
        return types.NoneType
    if not isinstance(schema, type):
        return None  # list[int], unions, Literal: msgspec's encoder is the only check
    if schema is float:
        return (float, int)  # JSON does not tell 1 from 1.0; msgspec decodes 1 as 1.0
    if typing.is_typeddict(schema):
        return None
    try:
        isinstance(None, schema)
    except TypeError:  # classes that refuse instance checks, like other TypedDicts
        return None
    return schema
