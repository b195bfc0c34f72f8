"""A read-only view of a :class:`walnats.Services` registry for the generators.

The diagram and the AsyncAPI document need the same facts: which service emits which
event, which actor or event-sourcing component consumes it. Actors and events are
walnats objects; the components in ``Service.owns`` come from the ``projections``
package, which tooling must not depend on in detail (it is written concurrently and
grows). They are read by duck typing: any object with a string ``name`` whose class
(or a base class) is called ``Aggregate``, ``Projection``, ``Reactor`` or ``Clock``,
and whose ``events`` / ``handlers`` / ``handles`` / ``event`` / ``emits`` attributes
hold walnats events. Anything else in ``owns`` is shown as a generic component or
skipped, never an error: a diagram must not fail because a new kind appeared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from walnats import Actor, BaseEvent, ConfigError, Service, Services

__all__ = [
    "Component",
    "ComponentKind",
    "components_of",
    "follow_ups",
    "pick_services",
    "unique_events",
]

ComponentKind = Literal["aggregate", "projection", "reactor", "clock", "component"]

_KINDS: dict[str, ComponentKind] = {
    "Aggregate": "aggregate",
    "Projection": "projection",
    "Reactor": "reactor",
    "Clock": "clock",
}
_SOURCES: frozenset[str] = frozenset({"aggregate", "clock"})
"""Kinds whose events are the ones they produce (an aggregate appends, a clock ticks)."""


@dataclass(frozen=True)
class Component:
    """One event-sourcing component of a service, as the generators see it."""

    kind: ComponentKind
    name: str
    description: str | None
    consumes: tuple[BaseEvent[Any, Any], ...]
    """Events it handles: a projection's or reactor's inputs."""
    emits: tuple[BaseEvent[Any, Any], ...]
    """Events it produces: an aggregate's appends, a clock's ticks, a reactor's follow-ups."""
    obj: Any = field(default=None, compare=False, repr=False)
    """The component itself, for attributes only some kinds have (``consumer_config``)."""


def pick_services(services: Services, service: str | None) -> list[Service]:
    """All services, or only the one called *service*.

    Raises:
        ConfigError: no service has that name; the message lists the ones there are.
    """
    if service is None:
        return list(services)
    found = services.get(service)
    if found is None:
        known = ", ".join(s.name for s in services) or "none"
        raise ConfigError(f"the app has no service named {service!r}; its services are: {known}")
    return [found]


def components_of(service: Service) -> list[Component]:
    """The recognisable components in ``service.owns``, in declaration order."""
    found = []
    for item in service.owns:
        component = _describe(item)
        if component is not None:
            found.append(component)
    return found


def unique_events(events: Iterable[BaseEvent[Any, Any]]) -> list[BaseEvent[Any, Any]]:
    """*events* without repeats (first one wins), keeping the order."""
    seen: dict[str, BaseEvent[Any, Any]] = {}
    for event in events:
        seen.setdefault(event.name, event)
    return list(seen.values())


def follow_ups(actor: Actor[Any, Any]) -> list[BaseEvent[Any, Any]]:
    """Events an actor declares it emits (an ``emits`` attribute, when actors grow one)."""
    return unique_events(_events_in(_safe_attr(actor, "emits")))


def _describe(item: Any) -> Component | None:
    name = _safe_attr(item, "name")
    if not isinstance(name, str) or not name:
        return None
    kind: ComponentKind = "component"
    for cls in type(item).__mro__:
        if cls.__name__ in _KINDS:
            kind = _KINDS[cls.__name__]
            break
    description = _safe_attr(item, "description")
    listed = _events_in(_safe_attr(item, "events"))
    handled = [
        *_events_in(_safe_attr(item, "handlers")),
        *_events_in(_safe_attr(item, "handles")),
        *_events_in(_safe_attr(item, "event")),
    ]
    emitted = _events_in(_safe_attr(item, "emits"))
    if kind in _SOURCES:
        emits, consumes = [*listed, *handled, *emitted], []
    else:
        emits, consumes = emitted, [*listed, *handled]
    return Component(
        kind=kind,
        name=name,
        description=description if isinstance(description, str) else None,
        consumes=tuple(unique_events(consumes)),
        emits=tuple(unique_events(emits)),
        obj=item,
    )


def _safe_attr(item: Any, name: str) -> Any:
    # A property of a half-built component may raise; a diagram must still render.
    try:
        return getattr(item, name, None)
    except Exception:  # noqa: BLE001 - see above
        return None


def _events_in(value: Any) -> list[BaseEvent[Any, Any]]:
    """Events found in an attribute: one event, a collection, a mapping's keys or values,
    ``(event, handler)`` pairs, or records with an ``event`` attribute (handlers)."""
    if value is None or isinstance(value, str | bytes):
        return []
    if isinstance(value, BaseEvent):
        return [value]
    if isinstance(value, Mapping):
        return [*_events_in(list(value.keys())), *_events_in(list(value.values()))]
    if not isinstance(value, Iterable):
        return []
    found: list[BaseEvent[Any, Any]] = []
    try:
        for element in value:
            if isinstance(element, BaseEvent):
                found.append(element)
            elif isinstance(element, tuple) and element and isinstance(element[0], BaseEvent):
                found.append(element[0])
            elif isinstance(getattr(element, "event", None), BaseEvent):
                found.append(element.event)  # a handler or applier record
    except Exception:  # noqa: BLE001 - an odd iterable is skipped, not fatal
        return found
    return found
