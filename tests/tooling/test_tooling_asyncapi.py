"""``to_asyncapi`` and ``validate_asyncapi``: the official schema plus the spec's key rules."""

from __future__ import annotations

import json
from typing import Any

import app_fixture
import msgspec
import pytest
from tooling_helpers import ROOT, SCHEMA

import walnats
from tooling import to_asyncapi, validate_asyncapi
from tooling._app import load_app
from tooling._asyncapi._jetstream import duration
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
    """The document of the whole fixture app (two services and an aggregate)."""
    return to_asyncapi(APP.es_services, server_url="nats://user:secret@nats.internal:4222")


def ref(doc: dict[str, Any], pointer: str) -> Any:
    """Follow a local ``$ref``."""
    node: Any = doc
    for part in pointer.removeprefix("#/").split("/"):
        node = node[part]
    return node


@pytest.mark.parametrize("service", [None, "orders", "shipping", "counting"])
def test_to_asyncapi__passes_schema_and_checks(schema: dict[str, Any], service: str | None) -> None:
    """The whole app and each service pass the 3.0.0 JSON Schema and every extra check."""
    doc = to_asyncapi(APP.es_services, service=service)
    assert validate_asyncapi(doc, schema) == []


def test_to_asyncapi__example_shop_is_valid(schema: dict[str, Any]) -> None:
    """The example shop (the README's app) passes too, whole and per service."""
    services, _ = load_app("examples.shop:services", cwd=ROOT)
    assert validate_asyncapi(to_asyncapi(services), schema) == []
    for service in services:
        assert validate_asyncapi(to_asyncapi(services, service=service.name), schema) == []


def test_to_asyncapi__every_key_matches_the_pattern(document: dict[str, Any]) -> None:
    """Component keys, channel and operation ids, and channel message keys."""
    keys = [*document["channels"], *document["operations"]]
    for channel in document["channels"].values():
        keys += list(channel["messages"])
    for components in document["components"].values():
        keys += list(components)
    assert all(KEY_PATTERN.match(key) for key in keys), keys


def test_to_asyncapi__info_and_servers(document: dict[str, Any]) -> None:
    """One service: its name and version; servers without credentials."""
    doc = to_asyncapi(APP.services, service="orders")
    assert doc["id"] == "urn:walnats:orders"
    assert doc["info"]["title"] == "orders"
    assert doc["info"]["version"] == "1.2.0"
    assert document["servers"] == {"nats": {"host": "nats.internal:4222", "protocol": "nats"}}
    assert "secret" not in json.dumps(document)


def test_to_asyncapi__channel_per_event_with_stream(document: dict[str, Any]) -> None:
    """The channel address is the subject; x-jetstream describes the stream."""
    channel = document["channels"][ORDERS]
    assert channel["address"] == ORDERS
    assert channel["x-jetstream"] == {
        "stream": ORDERS,
        "subjects": [ORDERS],
        "retention": "limits",
        "discard": "old",
        "storage": "file",
        "replicas": 1,
        "duplicate_window": "2m",
    }


def test_to_asyncapi__aggregate_events_have_an_id_parameter(document: dict[str, Any]) -> None:
    """``<aggregate>.{aggregate_id}.<event>``, the parameter declared, a send operation."""
    name = APP.incremented.name
    channel = document["channels"][name]
    assert channel["address"] == f"{APP.counter.name}.{{aggregate_id}}.{name}"
    assert list(channel["parameters"]) == ["aggregate_id"]
    assert channel["x-jetstream"]["subjects"] == [f"{APP.counter.name}.>"]
    operation = document["operations"][f"aggregate.{APP.counter.name}.{name}"]
    assert operation["action"] == "send"


def test_to_asyncapi__payloads_are_real_schemas(document: dict[str, Any]) -> None:
    """msgspec and pydantic payload types give their JSON Schemas, not ``{type: object}``."""
    messages = document["components"]["messages"]
    order = ref(document, messages[ORDERS]["payload"]["$ref"])
    assert order["properties"] == {
        "order_id": {"type": "integer"},
        "items": {"type": "array", "items": {"type": "string"}},
    }
    quote = ref(document, messages[f"{QUOTE}.response"]["payload"]["$ref"])
    assert set(quote["properties"]) == {"order_id", "price_cents"}
    assert messages[APP.parcel_shipped.name]["payload"] == {"type": "string", "format": "binary"}
    assert messages[APP.parcel_shipped.name]["contentType"] == "application/octet-stream"


def test_to_asyncapi__emitted_events_are_send_operations(document: dict[str, Any]) -> None:
    """Each emitted event has a send operation on its channel."""
    operation = document["operations"][f"emit.{ORDERS}"]
    assert operation["action"] == "send"
    assert operation["channel"] == {"$ref": f"#/channels/{ORDERS}"}
    assert operation["messages"] == [{"$ref": f"#/channels/{ORDERS}/messages/{ORDERS}"}]


def test_to_asyncapi__actors_are_receive_operations(document: dict[str, Any]) -> None:
    """The official NATS binding carries the queue; x-jetstream-consumer the rest."""
    operation = document["operations"][f"actor.{APP.actor('ship-order')}"]
    assert operation["action"] == "receive"
    assert operation["bindings"] == {
        "nats": {"queue": APP.actor("ship-order"), "bindingVersion": "0.1.0"}
    }
    assert operation["x-jetstream-consumer"] == {
        "durable": APP.actor("ship-order"),
        "pull": True,
        "deliver_policy": "all",
        "ack_policy": "explicit",
        "filter_subject": ORDERS,
        "ack_wait": "16s",
        "max_deliver": 3,
        "backoff": ["16.5s", "17s"],
        "max_ack_pending": 1000,
        "dead_letter": {"$ref": "#/channels/walnats-dead-letters"},
    }


def test_to_asyncapi__request_events_reply_to_an_inbox(document: dict[str, Any]) -> None:
    """The responder's operation has a reply whose channel address is null (an inbox)."""
    operation = document["operations"][f"actor.{APP.actor('quote')}"]
    reply = operation["reply"]
    assert reply["address"]["location"] == "$message.header#/Walnats-Reply"
    assert ref(document, reply["channel"]["$ref"])["address"] is None
    response = ref(document, reply["messages"][0]["$ref"])
    assert response == {"$ref": f"#/components/messages/{QUOTE}.response"}
    assert "reply" in document["operations"][f"emit.{QUOTE}"]  # the requester waits too


def test_to_asyncapi__dead_letter_channel(document: dict[str, Any]) -> None:
    """One channel for the dead-letter stream, the actor as a parameter."""
    channel = document["channels"]["walnats-dead-letters"]
    assert channel["address"] == "walnats-dead-letters.{actor}"
    actors = document["components"]["parameters"]["actor"]["enum"]
    assert APP.actor("audit") in actors
    assert set(channel["messages"]) == {ORDERS, QUOTE}


def test_to_asyncapi__colliding_type_names_are_refused() -> None:
    """Two different payload types with one name would share a schema: an error."""

    def payload_type(field: type) -> type:
        return msgspec.defstruct("Payload", [("value", field)])

    services = walnats.Services()
    services.add(
        "clash",
        emits=[
            walnats.Event("first-event", payload_type(int)),
            walnats.Event("second-event", payload_type(str)),
        ],
    )
    with pytest.raises(walnats.ConfigError, match="rename one of them"):
        to_asyncapi(services)


def test_to_asyncapi__unknown_service() -> None:
    """An unknown service is an error listing the services."""
    with pytest.raises(walnats.ConfigError, match=r"^the app has no service named 'x'"):
        to_asyncapi(APP.services, service="x")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (0.5, "500ms"), (16, "16s"), (16.5, "16.5s"), (120, "2m"), (5400, "1h30m")],
)
def test_duration(seconds: float, text: str) -> None:
    """NATS duration strings, as the nats CLI writes them."""
    assert duration(seconds) == text
