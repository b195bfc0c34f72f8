"""``validate_asyncapi``: what it catches that the official JSON Schema lets through."""

from __future__ import annotations

import copy
import json
from typing import Any

import app_fixture
import pytest
from tooling_helpers import SCHEMA

from tooling import to_asyncapi, validate_asyncapi
from tooling._asyncapi._validator import KEY_PATTERN

APP = app_fixture.APP
ORDERS = APP.order_placed.name
QUOTE = APP.quote.name


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    """The official AsyncAPI 3.0.0 JSON Schema (asyncapi/spec-json-schemas)."""
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """A valid document to break: the whole fixture app."""
    return to_asyncapi(APP.es_services)


def broken(document: dict[str, Any]) -> dict[str, Any]:
    """A deep copy to break."""
    return copy.deepcopy(document)


def test_validate__colon_key(document: dict[str, Any], schema: dict[str, Any]) -> None:
    """A ``:`` in a component key passes the official schema but not our check."""
    doc = broken(document)
    doc["components"]["messages"]["orders:Placed"] = {"payload": 42, "nonsense": True}
    assert validate_asyncapi(doc) == [
        "$.components.messages['orders:Placed']: key 'orders:Placed' does not match "
        + KEY_PATTERN.pattern
    ]
    schema_only = [p for p in validate_asyncapi(doc, schema) if ": schema: " in p]
    assert schema_only == []  # the gap reference/asyncapi.md describes


def test_validate__unmatched_parameter(document: dict[str, Any]) -> None:
    """``{name}`` without a parameters entry, and a parameter not in the address."""
    doc = broken(document)
    doc["channels"][ORDERS]["address"] = "orders.{region}.placed"
    doc["channels"][ORDERS]["parameters"] = {"tenant": {}}
    assert validate_asyncapi(doc) == [
        f"$.channels.{ORDERS}.address: {{region}} has no entry in parameters",
        (
            f"$.channels.{ORDERS}.parameters.tenant: does not appear in the address "
            "'orders.{region}.placed'"
        ),
    ]


def test_validate__channel_nats_binding(document: dict[str, Any], schema: dict[str, Any]) -> None:
    """A channel-level nats binding with properties (FastStream's mistake) is caught."""
    doc = broken(document)
    doc["channels"][ORDERS]["bindings"] = {"nats": {"subject": ORDERS, "queue": "q"}}
    assert validate_asyncapi(doc) == [
        (
            f"$.channels.{ORDERS}.bindings.nats: NATS channel bindings must not contain "
            "properties (got ['queue', 'subject']); put queue on the operation binding"
        )
    ]
    assert [p for p in validate_asyncapi(doc, schema) if ": schema: " in p] == []


def test_validate__operation_nats_binding(document: dict[str, Any]) -> None:
    """Only queue (at most 255 characters) and bindingVersion 0.1.0."""
    doc = broken(document)
    operation = doc["operations"][f"actor.{APP.actor('audit')}"]
    operation["bindings"]["nats"] = {"queue": "q" * 256, "bindingVersion": "custom", "x": 1}
    where = f"$.operations['actor.{APP.actor('audit')}'].bindings.nats"
    assert validate_asyncapi(doc) == [
        (
            f"{where}: unknown property 'x'; the NATS operation binding has only queue and "
            "bindingVersion"
        ),
        f"{where}.queue: must be a string of at most 255 characters",
        f"{where}.bindingVersion: must be '0.1.0', got 'custom'",
    ]


def test_validate__dangling_ref(document: dict[str, Any]) -> None:
    """A ``$ref`` to nothing."""
    doc = broken(document)
    doc["channels"][ORDERS]["messages"][ORDERS] = {"$ref": "#/components/messages/gone"}
    assert validate_asyncapi(doc) == [
        (
            f"$.channels.{ORDERS}.messages.{ORDERS}['$ref']: $ref '#/components/messages/gone' "
            "does not resolve to anything in the document"
        )
    ]


def test_validate__operation_message_outside_its_channel(document: dict[str, Any]) -> None:
    """An operation may only list messages of its own channel."""
    doc = broken(document)
    doc["operations"][f"emit.{ORDERS}"]["messages"] = [
        {"$ref": f"#/channels/{QUOTE}/messages/{QUOTE}"}
    ]
    assert validate_asyncapi(doc) == [
        (
            f"$.operations['emit.{ORDERS}'].messages[0]: '#/channels/{QUOTE}/messages/{QUOTE}' "
            f"is not one of the messages of channel '#/channels/{ORDERS}'"
        )
    ]


def test_validate__reply_address_needs_a_null_channel_address(document: dict[str, Any]) -> None:
    """A reply with an address requires the reply channel's address to be null."""
    doc = broken(document)
    doc["channels"][f"{QUOTE}.reply"]["address"] = "inbox.fixed"
    problems = validate_asyncapi(doc)
    assert len(problems) == 2  # the requester's and the responder's operation
    assert problems[0].endswith(
        f"has an address, so the reply channel '#/channels/{QUOTE}.reply' must have a null "
        "or no address, not 'inbox.fixed'"
    )


def test_validate__not_an_object() -> None:
    """Anything but a mapping is one problem, not a crash."""
    assert validate_asyncapi([]) == ["$: the document must be an object, got list"]


def test_validate__schema_errors_are_reported(schema: dict[str, Any]) -> None:
    """The JSON Schema step reports where and what."""
    problems = validate_asyncapi({"asyncapi": "2.6.0", "info": {"title": "t"}}, schema)
    assert problems
    assert all(": schema: " in problem for problem in problems)
