"""Which names in a module refer to walnats declarations, however they were imported.

The linter never imports user code, so it follows ``import`` statements instead:
``import walnats``, ``import walnats as w``, ``from walnats import Event as E``,
``from projections import Aggregate``, ``from walnats import *`` and deep paths such as
``from walnats._events._event import Event`` (how 1.x code and re-exports reach the same
class). A call counts as a walnats declaration when its dotted path starts with
``walnats`` or ``projections`` and ends with a declaration class name, so a user's own
``Event`` class is never linted.

Bindings are tracked in source order over one flat namespace: a later ``class Event`` or
``Event = ...`` hides an earlier import. Function scopes are not separated; that is a
deliberate simplification, since declarations live at module level in practice.
"""

from __future__ import annotations

import ast

__all__ = ["KINDS", "ImportTable"]

ROOTS = frozenset({"walnats", "projections"})
"""Top-level packages whose declarations the linter understands."""

KINDS: dict[str, str] = {
    "Event": "event",
    "EventWithResponse": "event",
    "Actor": "actor",
    "Aggregate": "aggregate",
    "Projection": "projection",
    "Reactor": "reactor",
    "Limits": "limits",
    "RetryPolicy": "retry",
    "Events": "events",
    "Actors": "actors",
    "Services": "services",
    "Service": "service",
}
"""Class name → the kind of declaration the linter checks it as."""


class ImportTable:
    """Local names of one module mapped to the dotted paths they were imported from."""

    def __init__(self) -> None:
        self._names: dict[str, str | None] = {}
        self._star_roots: list[str] = []

    def add_import(self, node: ast.Import) -> None:
        """Record ``import a.b`` (binds ``a``) and ``import a.b as c`` (binds ``c``)."""
        for alias in node.names:
            if alias.asname is None:
                root = alias.name.partition(".")[0]
                self._names[root] = root
            else:
                self._names[alias.asname] = alias.name

    def add_import_from(self, node: ast.ImportFrom) -> None:
        """Record ``from a import b [as c]``; relative imports never name walnats."""
        module = node.module if node.level == 0 else None
        for alias in node.names:
            if alias.name == "*":
                if module is not None and module.partition(".")[0] in ROOTS:
                    self._star_roots.append(module)
                continue
            local = alias.asname or alias.name
            self._names[local] = f"{module}.{alias.name}" if module else None

    def bind(self, name: str, qualified: str | None) -> None:
        """Rebind *name*: to *qualified* for an alias assignment, to nothing otherwise."""
        self._names[name] = qualified

    def qualified_name(self, expr: ast.expr) -> str | None:
        """The dotted path *expr* refers to, or None when it is not an imported name."""
        if isinstance(expr, ast.Name):
            if expr.id in self._names:
                return self._names[expr.id]
            if self._star_roots and expr.id in KINDS:
                return f"{self._star_roots[0]}.{expr.id}"
            return None
        if isinstance(expr, ast.Attribute):
            base = self.qualified_name(expr.value)
            return None if base is None else f"{base}.{expr.attr}"
        return None

    def kind(self, expr: ast.expr) -> str | None:
        """The declaration kind (see :data:`KINDS`) *expr* names, or None."""
        qualified = self.qualified_name(expr)
        if qualified is None:
            return None
        parts = qualified.split(".")
        if parts[0] not in ROOTS or len(parts) < 2:
            return None
        return KINDS.get(parts[-1])
