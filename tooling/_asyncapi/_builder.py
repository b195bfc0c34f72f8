"""``to_asyncapi``: an AsyncAPI 3.0.0 document of a service, built from its registry.

The mapping follows ``reference/asyncapi.md`` section 5: one channel per event (the
address is the subject), ``send`` operations for emitted events, ``receive``
operations with the NATS ``queue`` binding and ``x-jetstream-consumer`` for actors,
``reply`` for request events (the reply channel is the requester's inbox, so its
address is ``null``), and a channel for the dead-letter stream. Every id and
component key is a walnats name or a dotted combination of names, so all of them match
``^[a-zA-Z0-9\\.\\-_]+$`` and no ``$ref`` needs escaping.
"""

from __future__ import annotations

import urllib.parse
from typing import Any, Final

from walnats import (
    DEAD_LETTER_STREAM,
    Actor,
    BaseEvent,
    ConfigError,
    EventWithResponse,
    Service,
    Services,
)

from .._flow import Component, components_of, follow_ups, pick_services
from ._jetstream import consumer_extension, consumer_fields, stream_extension
from ._messages import MessageCatalog
from ._pointers import pointer

__all__ = ["ASYNCAPI_VERSION", "NATS_BINDING_VERSION", "to_asyncapi"]

ASYNCAPI_VERSION: Final = "3.0.0"
NATS_BINDING_VERSION: Final = "0.1.0"
_REPLY_LOCATION: Final = "$message.header#/Walnats-Reply"
_DEFAULT_PORT: Final = 4222


def to_asyncapi(
    services: Services, *, service: str | None = None, server_url: str | None = None
) -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document of one service, or of all services together.

    *service* picks one service: its emitted events become ``send`` operations and its
    actors ``receive`` operations. Without it the document covers every service of the
    app. *server_url* (``nats://host:port``, comma-separated for a cluster) fills
    ``servers``; credentials in it are dropped. The result is plain data: dump it as
    JSON or YAML, and check it with :func:`validate_asyncapi`.

    Raises:
        ConfigError: no service is called *service*, or two different payload types
            share a name (their schemas would collide in ``components.schemas``).
    """
    chosen = pick_services(services, service)
    builder = _Builder()
    for item in chosen:
        builder.add_service(item)
    document: dict[str, Any] = {
        "asyncapi": ASYNCAPI_VERSION,
        "id": f"urn:walnats:{chosen[0].name if len(chosen) == 1 else 'services'}",
        "info": _info(chosen),
    }
    if server_url:
        document["servers"] = _servers(server_url)
    document["defaultContentType"] = "application/json"
    document.update(builder.finish())
    return document


class _Builder:
    """Accumulates channels, operations and components for the chosen services."""

    def __init__(self) -> None:
        self.channels: dict[str, Any] = {}
        self.operations: dict[str, Any] = {}
        self.parameters: dict[str, Any] = {}
        self.catalog = MessageCatalog()
        self.dead_letters: dict[str, BaseEvent[Any, Any]] = {}
        """Actor name -> the event it handles, for actors that keep dead letters."""

    def add_service(self, service: Service) -> None:
        """Add what *service* emits and consumes."""
        for event in service.emits:
            self._send(f"emit.{event.name}", event, f"Service {service.name} emits it.")
        actors: list[Actor[Any, Any]] = list(service.defines)
        for actor in actors:
            self._actor(actor)
        for component in components_of(service):
            self._component(component)

    def _send(self, op_id: str, event: BaseEvent[Any, Any], description: str) -> None:
        if op_id in self.operations:
            return
        channel = self._channel(event)
        operation: dict[str, Any] = {
            "action": "send",
            "channel": {"$ref": pointer("channels", channel)},
            "messages": [{"$ref": pointer("channels", channel, "messages", event.name)}],
            "description": description,
        }
        self._reply(operation, event)
        self.operations[op_id] = operation

    def _receive(
        self,
        op_id: str,
        event: BaseEvent[Any, Any],
        queue: str,
        consumer: dict[str, Any],
        description: str | None,
    ) -> None:
        channel = self._channel(event)
        operation: dict[str, Any] = {"action": "receive", "title": queue}
        if description:
            operation["description"] = description
        operation |= {
            "channel": {"$ref": pointer("channels", channel)},
            "messages": [{"$ref": pointer("channels", channel, "messages", event.name)}],
            # Workers sharing a durable consumer compete like a core NATS queue group.
            "bindings": {"nats": {"queue": queue, "bindingVersion": NATS_BINDING_VERSION}},
            "x-jetstream-consumer": consumer,
        }
        self._reply(operation, event)
        self.operations[op_id] = operation

    def _actor(self, actor: Actor[Any, Any]) -> None:
        dead_letters = pointer("channels", DEAD_LETTER_STREAM) if actor.dead_letters else None
        consumer = consumer_extension(actor, dead_letters)
        self._receive(f"actor.{actor.name}", actor.event, actor.name, consumer, actor.description)
        if actor.dead_letters:
            self.dead_letters[actor.name] = actor.event
        for event in follow_ups(actor):
            self._send(f"actor.{actor.name}.{event.name}", event, f"Actor {actor.name} emits it.")

    def _component(self, component: Component) -> None:
        prefix = f"{component.kind}.{component.name}"
        for event in component.emits:
            self._send(f"{prefix}.{event.name}", event, f"The {component.kind} emits it.")
        for event in component.consumes:
            self._receive(
                f"{prefix}.{event.name}",
                event,
                component.name,
                _component_consumer(component),
                component.description,
            )

    def _channel(self, event: BaseEvent[Any, Any]) -> str:
        """Add the channel of *event* (once); return its id, the event name."""
        if event.name in self.channels:
            return event.name
        key = self.catalog.event(event)
        channel: dict[str, Any] = {"address": event.name}
        if event.aggregate is not None:
            channel["address"] = f"{event.aggregate}.{{aggregate_id}}.{event.name}"
            channel["parameters"] = {
                "aggregate_id": {"$ref": pointer("components", "parameters", "aggregate_id")}
            }
            self.parameters["aggregate_id"] = {
                "description": "Id of the aggregate: the second token of the subject."
            }
        channel["messages"] = {event.name: {"$ref": pointer("components", "messages", key)}}
        if event.description:
            channel["description"] = event.description
        channel["x-jetstream"] = stream_extension(event)
        self.channels[event.name] = channel
        return event.name

    def _reply(self, operation: dict[str, Any], event: BaseEvent[Any, Any]) -> None:
        """Describe the response of a request event on *operation*."""
        if not isinstance(event, EventWithResponse):
            return
        channel = f"{event.name}.reply"
        key = self.catalog.response(event)
        self.channels.setdefault(
            channel,
            {
                "address": None,  # the requester's inbox, known only at run time
                "messages": {key: {"$ref": pointer("components", "messages", key)}},
                "description": f"The response to {event.name}, sent to the requester's inbox.",
            },
        )
        operation["reply"] = {
            "address": {
                "location": _REPLY_LOCATION,
                "description": "JetStream takes the reply subject for acks, so the inbox "
                "travels in the Walnats-Reply header.",
            },
            "channel": {"$ref": pointer("channels", channel)},
            "messages": [{"$ref": pointer("channels", channel, "messages", key)}],
        }

    def finish(self) -> dict[str, Any]:
        """``channels``, ``operations`` and ``components`` of the document."""
        if self.dead_letters:
            self._dead_letter_channel()
        components = self.catalog.finish()
        if self.parameters:
            components["parameters"] = self.parameters
        return {"channels": self.channels, "operations": self.operations, "components": components}

    def _dead_letter_channel(self) -> None:
        messages = {
            event.name: {"$ref": pointer("components", "messages", self.catalog.event(event))}
            for event in self.dead_letters.values()
        }
        self.parameters["actor"] = {
            "enum": sorted(self.dead_letters),
            "description": "The actor that gave up on the event.",
        }
        self.channels[DEAD_LETTER_STREAM] = {
            "address": f"{DEAD_LETTER_STREAM}.{{actor}}",
            "parameters": {"actor": {"$ref": pointer("components", "parameters", "actor")}},
            "messages": messages,
            "description": "Events an actor gave up on: the original payload and headers, "
            "plus Walnats-Dl-* headers saying which actor failed, how often and why. "
            "Inspect and re-drive them with `walnats dlq`.",
            "x-jetstream": {
                "stream": DEAD_LETTER_STREAM,
                "subjects": [f"{DEAD_LETTER_STREAM}.>"],
                "retention": "limits",
                "discard": "old",
                "storage": "file",
            },
        }


def _component_consumer(component: Component) -> dict[str, Any]:
    """The consumer of a projection or reactor, as far as it can be read."""
    factory = getattr(component.obj, "consumer_config", None)
    if callable(factory):
        try:
            return consumer_fields(factory(), None)
        except Exception:  # noqa: BLE001, S110 - the API may take arguments; fall back
            pass
    return {"durable": component.name, "pull": True, "ack_policy": "explicit"}


def _info(chosen: list[Service]) -> dict[str, Any]:
    footer = "Generated by walnats from the service registry. Do not edit."
    if len(chosen) == 1:
        service = chosen[0]
        text = f"{service.description}\n\n{footer}" if service.description else footer
        return {"title": service.name, "version": service.version, "description": text}
    versions = {service.version for service in chosen}
    listing = ", ".join(f"{s.name} {s.version}" for s in chosen)
    return {
        "title": "walnats services",
        "version": versions.pop() if len(versions) == 1 else "0.0.0",
        "description": f"Services: {listing}.\n\n{footer}",
    }


def _servers(server_url: str) -> dict[str, Any]:
    """``servers`` from a NATS URL list; user names and passwords are left out."""
    urls = [url.strip() for url in server_url.split(",") if url.strip()]
    servers: dict[str, Any] = {}
    for index, url in enumerate(urls, start=1):
        parts = urllib.parse.urlsplit(url if "://" in url else f"nats://{url}")
        if not parts.hostname:
            raise ConfigError(f"server URL {url!r} has no host; use nats://host:port")
        name = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        host = f"{name}:{parts.port or _DEFAULT_PORT}"
        protocol = parts.scheme if parts.scheme in ("ws", "wss") else "nats"
        server: dict[str, Any] = {"host": host, "protocol": protocol}
        if parts.scheme == "tls":
            server["description"] = "TLS required."
        servers["nats" if len(urls) == 1 else f"nats-{index}"] = server
    return servers
