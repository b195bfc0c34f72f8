"""Event-flow diagrams as Graphviz DOT: :func:`to_dot`."""

from ._dot import DIRECTIONS, to_dot

__all__ = ["DIRECTIONS", "to_dot"]
