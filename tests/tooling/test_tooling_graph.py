"""``to_dot``: the event-flow diagram, checked as DOT text and rendered with real ``dot``."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from typing import Any

import app_fixture
import pytest
from tooling_helpers import ROOT
from tooling_helpers import walnats as walnats_cli

import walnats
from tooling import to_dot
from tooling._app import load_app

APP = app_fixture.APP
ORDERS = APP.order_placed.name


def node_line(dot: str, node: str) -> str:
    """The statement that declares *node*."""
    for line in dot.splitlines():
        if line.strip().startswith((f'"{node}" [', f"{node} [")):
            return line
    raise AssertionError(f"no node {node!r} in:\n{dot}")


def test_to_dot__services_are_clusters_with_their_members() -> None:
    """Each service is a cluster holding its publisher, actors and the events it emits."""
    dot = to_dot(APP.services)
    assert dot.startswith("digraph walnats {")
    orders = dot[dot.index("subgraph cluster_orders") : dot.index("subgraph cluster_shipping")]
    assert 'label="orders 1.2.0"' in orders
    for member in ("service.orders", APP.actor("actor.send-email"), f"event.{ORDERS}"):
        assert f'"{member}" [' in orders


def test_to_dot__kinds_have_event_storming_colours_and_shapes() -> None:
    """Events orange, actors lilac, aggregates yellow 3D boxes, publishers grey."""
    dot = to_dot(APP.es_services)
    assert 'fillcolor="#ffb74d" shape=box' in node_line(dot, f"event.{ORDERS}")
    assert 'fillcolor="#ce93d8"' in node_line(dot, APP.actor("actor.send-email"))
    counter = node_line(dot, f"aggregate.{APP.counter.name}")
    assert 'fillcolor="#fff176" shape=box3d' in counter
    assert "shape=component" in node_line(dot, "service.orders")


def test_to_dot__edges_run_emitter_event_consumer() -> None:
    """Publisher -> event -> every actor, aggregate -> its event."""
    dot = to_dot(APP.es_services)
    assert f'"service.orders" -> "event.{ORDERS}"' in dot
    for role in ("send-email", "audit", "ship-order"):
        assert f'"event.{ORDERS}" -> "{APP.actor("actor." + role)}"' in dot
    assert f'"aggregate.{APP.counter.name}" -> "event.{APP.incremented.name}"' in dot


def test_to_dot__request_events_are_marked() -> None:
    """A request event has a double border, its response type, and a two-way edge."""
    dot = to_dot(APP.services)
    line = node_line(dot, f"event.{APP.quote.name}")
    assert "peripheries=2" in line
    assert "QuoteRequest → Quote" in line
    edge = f'"event.{APP.quote.name}" -> "{APP.actor("actor.quote")}" '
    assert edge + '[label="request/reply" dir=both]' in dot


def test_to_dot__actors_link_to_their_service_publisher() -> None:
    """Actors do not declare follow-ups, so a dotted edge joins them to their service's
    publisher: the causal chain event -> actor -> follow-up stays readable."""
    dot = to_dot(APP.services)
    edge = f'"{APP.actor("actor.send-email")}" -> "service.orders" [arrowhead=none style=dotted]'
    assert edge in dot


def test_to_dot__direction() -> None:
    """``direction`` becomes rankdir; anything else is refused with the choices."""
    assert "rankdir=TB" in to_dot(APP.services, direction="TB")
    with pytest.raises(walnats.ConfigError, match=r"^direction must be one of LR, TB, RL, BT"):
        to_dot(APP.services, direction="up")


def test_to_dot__one_service_shows_its_peers_as_pink_nodes() -> None:
    """With service=, other services appear only as pink nodes where they connect."""
    dot = to_dot(APP.services, service="shipping")
    assert "cluster_orders" not in dot
    assert "cluster_shipping" in dot
    assert 'fillcolor="#f48fb1"' in node_line(dot, "other.orders")
    assert f'"other.orders" -> "event.{ORDERS}"' in dot
    assert f'"event.{ORDERS}" -> "{APP.actor("actor.ship-order")}"' in dot


def test_to_dot__unknown_service() -> None:
    """A service name that does not exist is an error listing the ones that do."""
    with pytest.raises(
        walnats.ConfigError,
        match=r"^the app has no service named 'nope'; its services are: orders, shipping$",
    ):
        to_dot(APP.services, service="nope")


def test_to_dot__events_nobody_emits_come_from_outside() -> None:
    """An event only consumed hangs off one dashed pink ``external`` node."""
    services = walnats.Services()
    services.add("lonely", defines=[walnats.Actor("only-reads", APP.order_placed, _ignore)])
    dot = to_dot(services)
    assert f'external -> "event.{ORDERS}" [style=dashed]' in dot
    assert 'style="filled,dashed"' in node_line(dot, "external")


def _ignore(order: app_fixture.OrderPlaced) -> None:
    """A handler that does nothing."""


class Projection:
    """Duck-typed stand-in: tooling must read components it does not import."""

    def __init__(self, name: str, events: list[Any]) -> None:
        self.name = name
        self.events = events
        self.description = "Order totals per customer."


class Reactor(Projection):
    """Consumes ``events`` and declares follow-ups in ``emits``."""

    def __init__(self, name: str, events: list[Any], emits: list[Any]) -> None:
        super().__init__(name, events)
        self.emits = emits


class Clock:
    """Produces its ``event``."""

    def __init__(self, name: str, event: Any) -> None:
        self.name = name
        self.event = event


def test_to_dot__projections_reactors_clocks_by_duck_typing() -> None:
    """Components are recognised by class name and attributes, each with its shape."""
    tick = walnats.Event("tick", int)
    services = walnats.Services()
    services.add(
        "reports",
        emits=[APP.order_placed],
        owns=[
            Projection("order-totals", [APP.order_placed]),
            Reactor("bill", [APP.order_placed], emits=[APP.parcel_shipped]),
            Clock("nightly", tick),
            object(),  # not a component: skipped, not an error
        ],
    )
    dot = to_dot(services)
    assert 'fillcolor="#a5d6a7" shape=cylinder' in node_line(dot, "projection.order-totals")
    assert "shape=hexagon" in node_line(dot, "reactor.bill")
    assert "shape=ellipse" in node_line(dot, "clock.nightly")
    assert f'"event.{ORDERS}" -> "projection.order-totals"' in dot
    assert f'"reactor.bill" -> "event.{APP.parcel_shipped.name}"' in dot
    assert '"clock.nightly" -> "event.tick"' in dot


def _render(dot_source: str) -> str:
    """SVG from the real Graphviz ``dot``; skips (fails under CI=true) without it."""
    if shutil.which("dot") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Graphviz `dot` is missing; .ci/run must apt-get install graphviz")
        pytest.skip("Graphviz `dot` is not installed (apt-get install graphviz)")
    done = subprocess.run(
        ["dot", "-Tsvg"], input=dot_source, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _names(services: walnats.Services) -> set[str]:
    names = {event.name for event in services.events()} | {a.name for a in services.actors()}
    names |= {getattr(item, "name", "") for item in services.owned()}
    return names - {""}


@pytest.mark.parametrize("app", ["tests.tooling.app_fixture:es_services", "examples.shop:services"])
def test_graph__renders_with_dot(app: str) -> None:
    """``walnats graph APP | dot -Tsvg``: the SVG names every event, actor and
    component (the example shop included)."""
    services, _ = load_app(app, cwd=ROOT)
    done = walnats_cli("graph", app)
    assert done.returncode == 0, done.stderr
    svg = _render(done.stdout)
    texts = {html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)}
    missing = _names(services) - texts
    assert not missing, f"not in the SVG: {sorted(missing)}"
