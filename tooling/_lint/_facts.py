"""What one module declares, kept for the rules that look across files (WNS031 to WNS035).

The per-module pass records declarations and the references between them by variable
name; :mod:`._crossfile` joins the facts of every linted module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Declaration", "ModuleFacts", "Ref"]


@dataclass(eq=False)
class Declaration:
    """One ``Event``, ``Actor``, ``Aggregate``, ``Projection``, ``Reactor`` or service
    (``Service(...)``, ``Services().add(...)``) declaration.

    Compared by identity: two declarations with equal fields are still two declarations.
    """

    kind: str
    """``event``, ``actor``, ``aggregate``, ``projection``, ``reactor`` or ``service``."""
    name: str | None
    """The literal name, or None when it is computed."""
    path: str
    line: int
    col: int
    """1-based position of the name argument (or of the call when the name is missing)."""
    var: str | None = None
    """The variable the declaration is assigned to, as in ``ORDER_PLACED = Event(...)``."""
    aggregate: str | None = None
    """For an event, the literal ``aggregate="..."`` it was declared with."""
    refs: list[Ref] = field(default_factory=list)
    """Events an actor, projection or reactor consumes, or an aggregate appends."""

    @property
    def label(self) -> str:
        """The name to show in messages."""
        return self.name if self.name is not None else (self.var or "<computed>")

    @property
    def where(self) -> str:
        """``path:line``, for messages that point at another declaration."""
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Ref:
    """A reference to events: by variable name, or an inline declaration.

    A reference with neither is opaque: an expression the linter cannot follow.
    """

    var: str | None = None
    """The final name of ``ORDER_PLACED`` or ``events.ORDER_PLACED``."""
    decl: Declaration | None = None
    """The declaration itself, for ``Actor("a", Event("b", ...), ...)``."""
    strict: bool = False
    """True when an unknown *var* must be a registry the linter failed to see
    (``emits=SOME_EVENTS``), so that rules relying on completeness stay silent."""
    alias: bool = False
    """True for the target of an alias variable (``X = events.ORDER_PLACED``): it is as
    strict as the reference that reached it."""

    @property
    def opaque(self) -> bool:
        """True when the reference is an expression the linter cannot follow."""
        return self.var is None and self.decl is None


@dataclass
class ModuleFacts:
    """Everything the cross-file rules need from one module."""

    path: str
    declarations: list[Declaration] = field(default_factory=list)
    groups: dict[str, list[Ref]] = field(default_factory=dict)
    """Variables bound to several events: ``Events(A, B)``, ``[A, B]`` or an alias ``A``."""
    emits: list[Ref] = field(default_factory=list)
    """Every event named in a ``Services.add(emits=...)`` or ``Service(emits=...)``."""
    services: int = 0
    """How many services the module declares."""
