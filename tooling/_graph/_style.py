"""How each kind of node looks: event-storming colours, one shape per kind.

Event storming gives every kind of sticky note a colour that people who run such
workshops recognise at a glance: events orange, aggregates yellow, policies
(actors, reactors) lilac, read models (projections) green, external systems pink.
Shapes differ too, so the diagram still reads when printed in black and white.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = ["CAPTIONS", "CLUSTER", "EDGE", "GRAPH", "NODE", "STYLES"]

GRAPH: Final = MappingProxyType(
    {
        "fontname": "Helvetica",
        "fontsize": "12",
        "nodesep": "0.35",
        "ranksep": "0.6",
        "newrank": "true",
        "labelloc": "t",
    }
)
NODE: Final = MappingProxyType(
    {"fontname": "Helvetica", "fontsize": "11", "style": "filled", "color": "#555555"}
)
EDGE: Final = MappingProxyType(
    {"fontname": "Helvetica", "fontsize": "9", "color": "#555555", "arrowsize": "0.7"}
)
CLUSTER: Final = MappingProxyType(
    {
        "style": "rounded,filled",
        "color": "#9e9e9e",
        "fillcolor": "#fafafa",
        "fontsize": "13",
        "labeljust": "l",
    }
)

STYLES: Final = MappingProxyType(
    {
        "event": {"shape": "box", "fillcolor": "#ffb74d"},
        "actor": {"shape": "box", "style": "filled,rounded", "fillcolor": "#ce93d8"},
        "reactor": {"shape": "hexagon", "fillcolor": "#ce93d8"},
        "aggregate": {"shape": "box3d", "fillcolor": "#fff176"},
        "projection": {"shape": "cylinder", "fillcolor": "#a5d6a7"},
        "clock": {"shape": "ellipse", "fillcolor": "#b3e5fc"},
        "component": {"shape": "box", "fillcolor": "#e0e0e0"},
        "service": {"shape": "component", "fillcolor": "#b0bec5"},
        "external": {"shape": "box", "style": "filled,dashed", "fillcolor": "#f48fb1"},
    }
)
"""Node attributes per kind; ``external`` is anything outside the diagram."""

CAPTIONS: Final = MappingProxyType(
    {
        "actor": "actor",
        "reactor": "reactor",
        "aggregate": "aggregate",
        "projection": "projection",
        "clock": "clock",
        "component": "component",
        "service": "publisher",
        "external": "external",
    }
)
"""The small second line under a node's name, saying what the node is."""
