"""JSON Schemas of many payload types at once, with shared definitions, for AsyncAPI."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import msgspec

from walnats._errors import ConfigError
from walnats._serializers._pydantic import is_pydantic_model
from walnats._serializers._raw import RawBytes

__all__ = ["REF_TEMPLATE", "schema_components"]

REF_TEMPLATE = "#/components/schemas/{name}"
"""Where AsyncAPI (and OpenAPI) keep reusable schemas."""

_BAD_KEY_CHARS = re.compile(r"[^A-Za-z0-9._-]")  # AsyncAPI component keys


def schema_components(
    schemas: Sequence[Any],
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The JSON Schema of each payload type plus the named definitions they refer to.

    Use it to build the AsyncAPI document: each returned schema goes into a message's
    ``payload``, usually as ``{"$ref": "#/components/schemas/OrderPlaced"}``, and the
    dict becomes ``components.schemas``. Types used by several events are defined once.
    Covers the schemas the built-in serializers handle (msgspec types, pydantic v2
    models, ``bytes``); for an event with a custom serializer use its ``json_schema()``.

    Raises:
        ConfigError: a type has no JSON Schema, or two different types share a name.
    """
    results: list[dict[str, Any] | None] = [None] * len(schemas)
    components: dict[str, dict[str, Any]] = {}
    msgspec_indexes: list[int] = []
    for index, schema in enumerate(schemas):
        if schema is bytes:
            results[index] = RawBytes().json_schema()
        elif is_pydantic_model(schema):
            results[index] = _pydantic_schema(schema, components)
        else:
            msgspec_indexes.append(index)
    if msgspec_indexes:
        msgspec_types = [schemas[index] for index in msgspec_indexes]
        try:
            refs, definitions = msgspec.json.schema_components(
                msgspec_types, ref_template=REF_TEMPLATE
            )
        except (TypeError, NameError) as exc:
            raise ConfigError(f"cannot generate a JSON Schema: {exc}") from None
        except KeyError as exc:  # msgspec's way of saying two classes share a name
            raise _name_clash(getattr(exc.args[0], "__name__", str(exc))) from None
        for index, ref in zip(msgspec_indexes, refs, strict=True):
            results[index] = ref
        _merge(components, definitions)
    return [result for result in results if result is not None], components


def _pydantic_schema(model: Any, components: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Add *model* and its nested models to *components*; return a reference to it."""
    schema: dict[str, Any] = model.model_json_schema(
        ref_template=REF_TEMPLATE.replace("{name}", "{model}")
    )
    _merge(components, schema.pop("$defs", {}))
    name = _BAD_KEY_CHARS.sub("_", model.__name__)
    _merge(components, {name: schema})
    return {"$ref": REF_TEMPLATE.format(name=name)}


def _merge(components: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> None:
    """Add *new* definitions, refusing two different schemas under one name."""
    for name, schema in new.items():
        existing = components.setdefault(name, schema)
        if existing != schema:
            raise _name_clash(name)


def _name_clash(name: str) -> ConfigError:
    """The error for two payload types that would share one component name."""
    return ConfigError(
        f"two different payload types are both named {name!r} in the JSON Schema "
        f"components; rename one of them"
    )
