"""Rules that need every linted module at once (WNS031 to WNS035).

Events are matched by the variable they are assigned to: ``ORDER_PLACED = Event(...)``
in one file and ``Actor("a", events.ORDER_PLACED, h)`` or ``from app.events import
ORDER_PLACED`` in another refer to the same event. Matching uses the final name only, so
two modules that both define ``ORDER_PLACED`` are treated as one; that is the price of
never importing user code.

WNS033 and WNS034 judge a whole application, so they run only when the linted files call
``Services.add(...)`` at least once, and they stay silent when a reference they depend
on cannot be followed (``emits=build_events()``), rather than guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from ._facts import Declaration, ModuleFacts, Ref
from ._rules import make_violation
from ._violation import Violation

__all__ = ["check_across"]

_CONSUMERS = ("actor", "projection", "reactor")


def _report(declaration: Declaration, code: str, **fields: object) -> Violation:
    line, col = declaration.line, declaration.col
    return make_violation(code, declaration.path, line, col, **fields)


def _position(declaration: Declaration) -> tuple[str, int, int]:
    return declaration.path, declaration.line, declaration.col


def _duplicates(
    declarations: Iterable[Declaration], namespaces: Mapping[Declaration, str]
) -> list[Violation]:
    """WNS031, WNS032 and WNS035: a second declaration reusing a name of the same kind.

    Events of an aggregate are compared only with events of the same aggregate: their
    subjects are prefixed with the aggregate type, so ``created`` may exist in several.
    """
    by_name: dict[tuple[str, str | None, str], list[Declaration]] = defaultdict(list)
    for declaration in declarations:
        if declaration.name is not None:
            key = (declaration.kind, namespaces.get(declaration), declaration.name)
            by_name[key].append(declaration)
    codes = {"event": "WNS031", "actor": "WNS032"}
    violations = []
    for (kind, _, name), same in by_name.items():
        first, *others = sorted(same, key=_position)
        for other in others:
            code = codes.get(kind, "WNS035")
            violations.append(_report(other, code, kind=kind, name=name, other=first.where))
    return violations


class _Resolver:
    """Follows references to event declarations through variables and groups."""

    def __init__(self, modules: Sequence[ModuleFacts]) -> None:
        self.events: dict[str, list[Declaration]] = defaultdict(list)
        self.groups: dict[str, list[Ref]] = defaultdict(list)
        for module in modules:
            for declaration in module.declarations:
                if declaration.kind == "event" and declaration.var is not None:
                    self.events[declaration.var].append(declaration)
            for var, members in module.groups.items():
                self.groups[var] += members

    def resolve(
        self, ref: Ref, seen: frozenset[str] = frozenset(), *, inherited: bool = False
    ) -> tuple[list[Declaration], bool]:
        """The events *ref* names, and whether the answer is complete.

        An unknown plain name is taken to be an event from outside the linted files
        (complete); an opaque or strict unknown reference makes the answer incomplete.
        *inherited* is the strictness of the reference whose alias *ref* is.
        """
        if ref.decl is not None:
            return ([ref.decl] if ref.decl.kind == "event" else []), True
        if ref.var is None:
            return [], False
        strict = ref.strict or (ref.alias and inherited)
        found = list(self.events.get(ref.var, ()))
        members = self.groups.get(ref.var)
        if not found and members is None:
            return [], not strict
        complete = True
        if members is not None and ref.var not in seen:
            for member in members:
                events, done = self.resolve(member, seen | {ref.var}, inherited=strict)
                found += events
                complete = complete and done
        return found, complete

    def resolve_all(self, refs: Iterable[Ref]) -> tuple[set[Declaration], bool]:
        """The union of :meth:`resolve` over *refs*."""
        found: set[Declaration] = set()
        complete = True
        for ref in refs:
            events, ref_complete = self.resolve(ref)
            found.update(events)
            complete = complete and ref_complete
        return found, complete


def _any_of(events: set[Declaration], pool: set[Declaration]) -> bool:
    """True when one of *events* is in *pool*, by declaration or by name: an event
    re-declared inline (``Actor("a", Event("paid", ...), h)``) is the same stream."""
    names = {event.name for event in pool if event.name is not None}
    return bool(events & pool) or any(event.name in names for event in events)


def _flow(
    resolver: _Resolver, modules: Sequence[ModuleFacts], declarations: list[Declaration]
) -> list[Violation]:
    """WNS033 (an actor's event is never emitted) and WNS034 (an event nobody consumes)."""
    violations = []
    emits = [ref for module in modules for ref in module.emits]
    emitted, emits_complete = resolver.resolve_all(emits)
    for aggregate in (d for d in declarations if d.kind == "aggregate"):
        emitted |= resolver.resolve_all(aggregate.refs)[0]
    actors = [d for d in declarations if d.kind == "actor"]
    if emits_complete:
        for actor in actors:
            events, _ = resolver.resolve_all(actor.refs)
            if events and not _any_of(events, emitted):
                event = min(events, key=_position)
                violations.append(_report(actor, "WNS033", actor=actor.label, event=event.label))
    consumed: set[Declaration] = set()
    consumers_complete = True
    for consumer in (d for d in declarations if d.kind in _CONSUMERS):
        events, complete = resolver.resolve_all(consumer.refs)
        consumed |= events
        consumers_complete = consumers_complete and (complete or consumer.kind != "actor")
    if consumers_complete:
        violations += [
            _report(event, "WNS034", name=event.label)
            for event in declarations
            if event.kind == "event" and not _any_of({event}, consumed)
        ]
    return violations


def _namespaces(resolver: _Resolver, declarations: list[Declaration]) -> dict[Declaration, str]:
    """Event → the aggregate it belongs to (``aggregate="..."`` or listed in an Aggregate)."""
    namespaces: dict[Declaration, str] = {}
    for aggregate in (d for d in declarations if d.kind == "aggregate"):
        for event in resolver.resolve_all(aggregate.refs)[0]:
            namespaces.setdefault(event, aggregate.label)
    for event in declarations:
        if event.aggregate is not None:
            namespaces[event] = event.aggregate
    return namespaces


def check_across(modules: Sequence[ModuleFacts]) -> list[Violation]:
    """The cross-file violations of *modules*, linted together as one application."""
    declarations = [d for module in modules for d in module.declarations]
    resolver = _Resolver(modules)
    violations = _duplicates(declarations, _namespaces(resolver, declarations))
    if any(module.services for module in modules):
        violations += _flow(resolver, modules, declarations)
    return violations
