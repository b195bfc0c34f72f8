"""JSON through pydantic v2, for events whose schema is a ``BaseModel``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, overload

from walnats._errors import DecodeError, EncodeError
from walnats._serializers._base import T, type_name

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

__all__ = ["PydanticJSON", "is_pydantic_model", "is_pydantic_v1_model"]

_INSTALL_HINT = "PydanticJSON needs pydantic v2: pip install 'walnats[pydantic]'"
_MAX_REPORTED_ERRORS = 3


class PydanticJSON(Generic[T]):
    """JSON via pydantic v2: the serializer walnats picks for ``BaseModel`` subclasses.

    Decoding runs the model's validators, so constraints such as ``Field(gt=0)`` reject
    bad messages with a :class:`DecodeError`. Any type a ``pydantic.TypeAdapter``
    accepts works when passed explicitly, e.g. ``PydanticJSON(list[Order])``. pydantic
    is imported only when this class is used.
    """

    content_type: str = "application/json"
    """Payloads are JSON documents."""

    @overload
    def __init__(self: PydanticJSON[T], schema: type[T]) -> None: ...

    @overload
    def __init__(self: PydanticJSON[Any], schema: Any) -> None: ...

    def __init__(self, schema: Any) -> None:
        try:
            from pydantic import TypeAdapter
        except ImportError:
            raise ModuleNotFoundError(_INSTALL_HINT) from None
        adapter: TypeAdapter[T] = TypeAdapter(schema)
        self.schema: Any = schema
        self._adapter = adapter
        self._name = type_name(schema)
        self._cls: type | None = schema if is_pydantic_model(schema) else None
        self._validate: Callable[[bytes], T] = adapter.validate_json
        self._dump = adapter.dump_json

    def encode(self, message: T) -> bytes:
        """Encode *message* as JSON; raises EncodeError when it is not an instance of the model."""
        cls = self._cls
        if cls is not None and not isinstance(message, cls):
            raise EncodeError(f"expected {self._name}, got {type(message).__qualname__}")
        try:
            # warnings="error": pydantic otherwise only warns about a wrongly typed value.
            return self._dump(message, warnings="error")
        except ValueError as exc:  # PydanticSerializationError is a ValueError
            got = type(message).__qualname__
            raise EncodeError(f"cannot encode {got} as {self._name}: {exc}") from exc

    def decode(self, data: bytes) -> T:
        """Decode and validate JSON *data*; raises DecodeError naming the model and the paths."""
        try:
            return self._validate(data)
        except ValueError as exc:  # pydantic.ValidationError is a ValueError
            errors = getattr(exc, "errors", None)
            reason = _describe(errors(include_url=False)) if callable(errors) else str(exc)
            raise DecodeError(f"cannot decode {self._name}: {reason}") from exc

    def json_schema(self) -> dict[str, Any] | None:
        """The JSON Schema pydantic generates for the model (``model_json_schema()``)."""
        if self._cls is not None:
            return self.schema.model_json_schema()  # type: ignore[no-any-return]
        return self._adapter.json_schema()

    def __repr__(self) -> str:
        return f"PydanticJSON({self._name})"


def is_pydantic_model(schema: Any) -> bool:
    """Whether *schema* is a pydantic v2 ``BaseModel`` subclass, without importing pydantic.

    If pydantic was never imported, no class can derive from its ``BaseModel``.
    """
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(schema, type):
        return False
    base = getattr(pydantic, "BaseModel", None)
    return (
        isinstance(base, type)
        and issubclass(schema, base)
        and hasattr(schema, "model_validate_json")  # pydantic 1.x installed
    )


def is_pydantic_v1_model(schema: Any) -> bool:
    """Whether *schema* is a pydantic v1-style model (``pydantic.v1`` or pydantic 1.x)."""
    if not isinstance(schema, type) or hasattr(schema, "model_validate_json"):
        return False
    for module_name in ("pydantic.v1", "pydantic"):
        base = getattr(sys.modules.get(module_name), "BaseModel", None)
        if isinstance(base, type) and issubclass(schema, base):
            return True
    return False


def _describe(errors: list[ErrorDetails]) -> str:
    """pydantic errors as msgspec-style text: ``Input should be ... - at `$.items[1]` ``."""
    parts = []
    for error in errors[:_MAX_REPORTED_ERRORS]:
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        parts.append(f"{error['msg']} - at `{path}`")
    if len(errors) > _MAX_REPORTED_ERRORS:
        parts.append(f"and {len(errors) - _MAX_REPORTED_ERRORS} more errors")
    return "; ".join(parts)
