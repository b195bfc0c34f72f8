"""``validate_asyncapi``: the checks of ``reference/asyncapi.md`` section 4.

The official JSON Schema alone lets a broken document through: component maps use
``patternProperties`` without forbidding other keys, so a key like ``a:b`` and
everything under it is never validated, and references, parameters and bindings are
not checked at all. These checks close the gaps; they are plain Python so they run
without the schema file, which only the tests (and ``--schema``) provide.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from ._pointers import MISSING, resolve

__all__ = ["KEY_PATTERN", "validate_asyncapi"]

KEY_PATTERN: Final = re.compile(r"^[a-zA-Z0-9\.\-_]+$")
"""What AsyncAPI 3.0 requires of every ``components`` key; we also apply it to channel,
operation and channel-message ids so that ``$ref`` s never need escapes."""

_EXPRESSION = re.compile(r"\{([^{}]*)\}")
_NATS_OPERATION_FIELDS = frozenset({"queue", "bindingVersion"})
_NATS_BINDING_VERSION = "0.1.0"
_MAX_QUEUE = 255
_MAX_MESSAGE = 300


def validate_asyncapi(document: Any, schema: Mapping[str, Any] | None = None) -> list[str]:
    """Every problem found in an AsyncAPI 3.0 *document*; an empty list means valid.

    *schema* is the official AsyncAPI 3.0.0 JSON Schema (``3.0.0-without-$id.json``
    from asyncapi/spec-json-schemas); without it, only the checks beyond the schema
    run: key pattern, ``$ref`` targets, operation and reply messages belonging to
    their channel, address parameters, NATS bindings, reply addresses. Each problem
    is one line: where, then what is wrong.

    Raises:
        ModuleNotFoundError: *schema* is given but ``jsonschema`` is not installed.
    """
    if not isinstance(document, dict):
        return [f"$: the document must be an object, got {type(document).__name__}"]
    problems: list[str] = []
    if schema is not None:
        problems += _schema_problems(document, schema)
    problems += _key_problems(document)
    problems += _ref_problems(document)
    problems += _operation_problems(document)
    problems += _address_problems(document)
    problems += _binding_problems(document)
    return problems


def _schema_problems(document: dict[str, Any], schema: Mapping[str, Any]) -> list[str]:
    try:
        # imported by name: jsonschema ships no type stubs and is only a test dependency
        jsonschema: Any = importlib.import_module("jsonschema")
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "checking against the AsyncAPI JSON Schema needs jsonschema: pip install jsonschema"
        ) from None
    validator = jsonschema.Draft7Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        message = error.message
        if len(message) > _MAX_MESSAGE:
            message = message[:_MAX_MESSAGE] + "..."
        problems.append(f"{_where(*error.absolute_path)}: schema: {message}")
    return problems


def _key_problems(document: dict[str, Any]) -> list[str]:
    problems = []
    maps: list[tuple[tuple[str, ...], Any]] = [
        (("channels",), document.get("channels")),
        (("operations",), document.get("operations")),
    ]
    components = document.get("components")
    if isinstance(components, dict):
        maps += [(("components", k), v) for k, v in components.items() if not k.startswith("x-")]
    for path, channel in _channels(document):
        maps.append(((*path, "messages"), channel.get("messages")))
    for path, mapping in maps:
        if not isinstance(mapping, dict):
            continue
        problems += [
            f"{_where(*path, key)}: key {key!r} does not match {KEY_PATTERN.pattern}"
            for key in mapping
            if not KEY_PATTERN.match(str(key))
        ]
    return problems


def _ref_problems(document: dict[str, Any]) -> list[str]:
    return [
        f"{_where(*path)}: $ref {ref!r} does not resolve to anything in the document"
        for path, ref in _refs(document, ())
        if resolve(document, ref) is MISSING
    ]


def _operation_problems(document: dict[str, Any]) -> list[str]:
    problems = []
    for path, operation in _operations(document):
        channel_ref = _ref_of(operation.get("channel"))
        if channel_ref is None:
            continue  # the schema reports a missing channel
        if not channel_ref.startswith("#/channels/"):
            problems.append(f"{_where(*path, 'channel')}: must reference a root channel")
        problems += _subset(document, path, operation.get("messages"), channel_ref)
        reply = _deref(document, operation.get("reply"))
        if not isinstance(reply, dict):
            continue
        reply_path = (*path, "reply")
        reply_ref = _ref_of(reply.get("channel"))
        if reply_ref is None:
            if reply.get("messages"):
                problems.append(f"{_where(*reply_path)}: messages need a reply channel")
            continue
        problems += _subset(document, reply_path, reply.get("messages"), reply_ref)
        channel = resolve(document, reply_ref)
        address = channel.get("address") if isinstance(channel, dict) else None
        if reply.get("address") is not None and address is not None:
            problems.append(
                f"{_where(*reply_path)}: has an address, so the reply channel "
                f"{reply_ref!r} must have a null or no address, not {address!r}"
            )
    return problems


def _subset(
    document: dict[str, Any], path: tuple[Any, ...], refs: Any, channel_ref: str
) -> list[str]:
    """Problems with operation (or reply) *refs* that are not messages of the channel."""
    channel = resolve(document, channel_ref)
    if not isinstance(channel, dict) or not isinstance(refs, list):
        return []
    messages = channel.get("messages")
    if not isinstance(messages, dict):
        messages = {}
    allowed = {f"{channel_ref}/messages/{key}" for key in messages}
    allowed |= {ref for ref in (_ref_of(m) for m in messages.values()) if ref is not None}
    problems = []
    for index, item in enumerate(refs):
        ref = _ref_of(item)
        if ref is not None and ref not in allowed:
            problems.append(
                f"{_where(*path, 'messages', index)}: {ref!r} is not one of the messages "
                f"of channel {channel_ref!r}"
            )
    return problems


def _address_problems(document: dict[str, Any]) -> list[str]:
    problems = []
    for path, channel in _channels(document):
        address = channel.get("address")
        names = set(_EXPRESSION.findall(address)) if isinstance(address, str) else set()
        parameters = channel.get("parameters")
        declared = set(parameters) if isinstance(parameters, dict) else set()
        problems += [
            f"{_where(*path, 'address')}: {{{name}}} has no entry in parameters"
            for name in sorted(names - declared)
        ]
        problems += [
            f"{_where(*path, 'parameters', name)}: does not appear in the address {address!r}"
            for name in sorted(declared - names)
        ]
    return problems


def _binding_problems(document: dict[str, Any]) -> list[str]:
    problems = []
    for path, kind, found in _bindings(document):
        bindings = _deref(document, found)
        nats = bindings.get("nats") if isinstance(bindings, dict) else None
        if nats is None:
            continue
        where = _where(*path, "nats")
        if not isinstance(nats, dict):
            problems.append(f"{where}: must be an object")
        elif kind != "operation":
            if nats:
                problems.append(
                    f"{where}: NATS {kind} bindings must not contain properties "
                    f"(got {sorted(nats)}); put queue on the operation binding"
                )
        else:
            problems += _operation_binding(where, nats)
    return problems


def _operation_binding(where: str, nats: dict[str, Any]) -> list[str]:
    problems = [
        f"{where}: unknown property {key!r}; the NATS operation binding has only "
        f"queue and bindingVersion"
        for key in sorted(set(nats) - _NATS_OPERATION_FIELDS)
    ]
    queue = nats.get("queue")
    if queue is not None and (not isinstance(queue, str) or len(queue) > _MAX_QUEUE):
        problems.append(f"{where}.queue: must be a string of at most {_MAX_QUEUE} characters")
    version = nats.get("bindingVersion")
    if version is not None and version != _NATS_BINDING_VERSION:
        problems.append(
            f"{where}.bindingVersion: must be {_NATS_BINDING_VERSION!r}, got {version!r}"
        )
    return problems


# --- walking the document ---------------------------------------------------------


def _channels(document: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    yield from _entries(document, ("channels",))
    yield from _entries(document, ("components", "channels"))


def _operations(document: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    yield from _entries(document, ("operations",))
    yield from _entries(document, ("components", "operations"))


def _entries(
    document: dict[str, Any], path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """The object values of the map at *path*, with their paths (references skipped)."""
    node: Any = document
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict) and "$ref" not in value:
                yield (*path, key), value


def _bindings(document: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], str, Any]]:
    """Every bindings object with its path and the kind of object it is attached to."""
    kinds: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("server", ("servers",)),
        ("server", ("components", "servers")),
        ("channel", ("channels",)),
        ("channel", ("components", "channels")),
        ("operation", ("operations",)),
        ("operation", ("components", "operations")),
        ("operation", ("components", "operationTraits")),
        ("message", ("components", "messages")),
        ("message", ("components", "messageTraits")),
    )
    for kind, path in kinds:
        for entry_path, entry in _entries(document, path):
            yield (*entry_path, "bindings"), kind, entry.get("bindings")
            for index, trait in enumerate(entry.get("traits") or ()):
                if isinstance(trait, dict):
                    yield (*entry_path, "traits", index, "bindings"), kind, trait.get("bindings")
    for path, channel in _channels(document):
        for key, message in (channel.get("messages") or {}).items():
            if isinstance(message, dict) and "$ref" not in message:
                yield (*path, "messages", key, "bindings"), "message", message.get("bindings")
    for kind in ("server", "channel", "operation", "message"):
        for entry_path, value in _entries(document, ("components", f"{kind}Bindings")):
            yield entry_path, kind, value


def _refs(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield (*path, "$ref"), ref
        for key, value in node.items():
            yield from _refs(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, (*path, index))


def _ref_of(node: Any) -> str | None:
    ref = node.get("$ref") if isinstance(node, dict) else None
    return ref if isinstance(ref, str) else None


def _deref(document: dict[str, Any], node: Any) -> Any:
    ref = _ref_of(node)
    return node if ref is None else resolve(document, ref)


def _where(*parts: Any) -> str:
    """A JSONPath-like location: ``$.channels["order.reply"].messages[0]``."""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", str(part)):
            text += f".{part}"
        else:
            text += f"[{str(part)!r}]"
    return text
