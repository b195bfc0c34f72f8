"""``to_dot``: the event flow of a :class:`walnats.Services` registry as Graphviz DOT."""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import graphviz

from walnats import BaseEvent, ConfigError, EventWithResponse, Service, Services

from .._flow import components_of, follow_ups, pick_services
from . import _style

__all__ = ["DIRECTIONS", "to_dot"]

DIRECTIONS: Final = ("LR", "TB", "RL", "BT")
"""Graphviz ``rankdir`` values: left to right, top to bottom, and their mirrors."""

_EXTERNAL = "external"


@dataclass(frozen=True)
class _End:
    """One end of an edge: the node, the service it belongs to, and its kind."""

    node: str
    service: str
    kind: str


def to_dot(services: Services, *, direction: str = "LR", service: str | None = None) -> str:
    """The event-flow diagram of *services* as Graphviz DOT source.

    Services are clusters; inside them sit their publishers, actors and event-sourcing
    components, coloured by event-storming conventions (see ``docs/diagrams.md``).
    Edges run from whatever emits an event to the event, and from the event to
    everything that consumes it. Events that no service emits hang off one pink
    *external* node, so a missing publisher is visible. With *service*, only that
    service is drawn in full; the other services it talks to appear as pink nodes.

    Render it with ``walnats graph | dot -Tsvg > flow.svg``; generating the text needs
    no Graphviz binary.

    Raises:
        ConfigError: *direction* is not one of :data:`DIRECTIONS`, or no service is
            called *service*.
    """
    if direction not in DIRECTIONS:
        raise ConfigError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    shown = pick_services(services, service)
    return _Diagram(services, shown, direction).source()


class _Diagram:
    """Builds one diagram: collects who emits and consumes what, then lays it out."""

    def __init__(self, services: Services, shown: list[Service], direction: str) -> None:
        self.shown = {s.name for s in shown}
        self.graph = graphviz.Digraph(
            "walnats",
            graph_attr={**_style.GRAPH, "rankdir": direction},
            node_attr=dict(_style.NODE),
            edge_attr=dict(_style.EDGE),
        )
        self.events: dict[str, BaseEvent[Any, Any]] = {}
        self.emitters: dict[str, list[_End]] = defaultdict(list)
        self.consumers: dict[str, list[_End]] = defaultdict(list)
        self.members: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
        self.internal: list[tuple[str, str, str]] = []
        """(actor, publisher, service): the actor may emit what its service emits."""
        self.drawn: set[str] = set()
        """External and other-service nodes already drawn."""
        for item in services:
            self._collect(item)
        self.order = list(shown)

    def _collect(self, service: Service) -> None:
        """Record the emitters, consumers and member nodes of one service."""
        name = service.name
        if len(service.emits):
            node = f"service.{name}"
            self.members[name].append((node, "service", service.description))
            for event in service.emits:
                self._event(event)
                self.emitters[event.name].append(_End(node, name, "service"))
        for actor in service.defines:
            node = f"actor.{actor.name}"
            self.members[name].append((node, "actor", actor.description))
            self._event(actor.event)
            self.consumers[actor.event.name].append(_End(node, name, "actor"))
            declared = follow_ups(actor)
            for event in declared:
                self._event(event)
                self.emitters[event.name].append(_End(node, name, "actor"))
            if not declared and len(service.emits):
                self.internal.append((node, f"service.{name}", name))
        for component in components_of(service):
            node = f"{component.kind}.{component.name}"
            self.members[name].append((node, component.kind, component.description))
            for event in component.emits:
                self._event(event)
                self.emitters[event.name].append(_End(node, name, component.kind))
            for event in component.consumes:
                self._event(event)
                self.consumers[event.name].append(_End(node, name, component.kind))

    def _event(self, event: BaseEvent[Any, Any]) -> None:
        self.events.setdefault(event.name, event)

    def source(self) -> str:
        """Lay out clusters, events and edges; return the DOT text."""
        visible = [
            name
            for name in self.events
            if any(e.service in self.shown for e in self.emitters[name] + self.consumers[name])
        ]
        homes = {name: self._home(name) for name in visible}
        for service in self.order:
            self._cluster(service, [n for n in visible if homes[n] == service.name])
        for name in visible:
            if homes[name] is None:
                self._event_node(self.graph, name)
        for name in visible:
            self._edges(name)
        for actor, publisher, owner in self.internal:
            if owner in self.shown:
                # Actors do not declare their follow-up events; their service does.
                # A dotted edge keeps the causal chain readable without guessing.
                self.graph.edge(actor, publisher, style="dotted", arrowhead="none")
        return str(self.graph.source)

    def _home(self, event: str) -> str | None:
        """The cluster an event is drawn in: its only shown emitting service, if any."""
        owners = {e.service for e in self.emitters[event] if e.service in self.shown}
        return owners.pop() if len(owners) == 1 else None

    def _cluster(self, service: Service, events: list[str]) -> None:
        label = service.name if service.version == "0.0.0" else f"{service.name} {service.version}"
        with self.graph.subgraph(name=f"cluster_{service.name}") as cluster:
            cluster.attr(label=label, tooltip=service.description or service.name, **_style.CLUSTER)
            seen: set[str] = set()
            for node, kind, description in self.members[service.name]:
                if node in seen:
                    continue
                seen.add(node)
                name = node.split(".", 1)[1]
                cluster.node(
                    node,
                    label=_label(name, _style.CAPTIONS[kind]),
                    tooltip=description or name,
                    **_style.STYLES[kind],
                )
            for event in events:
                self._event_node(cluster, event)

    def _event_node(self, graph: Any, name: str) -> None:
        event = self.events[name]
        caption = _type_name(event.schema)
        attrs = dict(_style.STYLES["event"])
        if isinstance(event, EventWithResponse):
            caption = f"{caption} \N{RIGHTWARDS ARROW} {_type_name(event.response_schema)}"
            attrs["peripheries"] = "2"  # request/response: a double border
        if event.aggregate is not None:
            caption = f"{caption} ({event.aggregate})"
        graph.node(
            f"event.{name}",
            label=_label(name, caption),
            tooltip=event.description or name,
            **attrs,
        )

    def _edges(self, name: str) -> None:
        event = self.events[name]
        node = f"event.{name}"
        emitters = self.emitters[name]
        if not emitters:
            self._external(_EXTERNAL, "outside the app")
            self.graph.edge(_EXTERNAL, node, style="dashed")
        for tail in _unique(self._visible(end) for end in emitters):
            self.graph.edge(tail, node)
        request = isinstance(event, EventWithResponse)
        heads = {self._visible(end): end.kind for end in self.consumers[name]}
        for head, kind in heads.items():
            if request and kind == "actor":
                self.graph.edge(node, head, dir="both", label="request/reply")
            else:
                self.graph.edge(node, head)

    def _visible(self, end: _End) -> str:
        """The node to draw an edge to: the end itself, or its service when not shown."""
        if end.service in self.shown:
            return end.node
        other = f"other.{end.service}"
        self._external(other, end.service, caption="other service")
        return other

    def _external(self, node: str, name: str, caption: str = "external") -> None:
        if node not in self.drawn:  # one node statement each keeps the source readable
            self.drawn.add(node)
            self.graph.node(node, label=_label(name, caption), **_style.STYLES["external"])


def _unique(nodes: Iterable[str]) -> list[str]:
    """*nodes* without repeats: an emitter listed by two services gets one edge."""
    return list(dict.fromkeys(nodes))


def _label(name: str, caption: str) -> str:
    """An HTML-like label: the name, and a small grey caption under it."""
    return (
        f"<{html.escape(name)}<BR/>"
        f'<FONT POINT-SIZE="9" COLOR="#424242">{html.escape(caption)}</FONT>>'
    )


def _type_name(schema: Any) -> str:
    """``OrderPlaced``, ``list[int]``, ``bytes``: the payload type as people write it."""
    if isinstance(schema, type) and not getattr(schema, "__args__", None):
        return schema.__qualname__
    return repr(schema).replace("typing.", "")
