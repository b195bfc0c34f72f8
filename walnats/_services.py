"""The registry of services: what each one emits, runs and owns.

Tooling (diagrams, AsyncAPI, the linter, ``walnats run``) reads this registry; the
runtime uses the same objects, so the documentation cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ._actors._actor import Actor
from ._actors._registry import Actors
from ._errors import ConfigError
from ._events._event import BaseEvent
from ._events._registry import Events
from ._names import check_description, check_name

__all__ = ["Service", "Services"]


@dataclass(frozen=True)
class Service:
    """One service: a deployable unit owned by one team."""

    name: str
    version: str = "0.0.0"
    description: str | None = None
    emits: Events = field(default_factory=Events)
    """Events this service publishes."""
    defines: Actors = field(default_factory=Actors)
    """Actors this service runs."""
    owns: tuple[Any, ...] = ()
    """Event-sourcing components (aggregates, projections, reactors, clocks)."""

    def __post_init__(self) -> None:
        check_name("service", self.name)
        check_description("service", self.name, self.description)


class Services:
    """All services of a system, for ``walnats run``, ``graph`` and ``asyncapi``.

    ::

        services = walnats.Services()
        services.add("orders", emits=walnats.Events(ORDER_PLACED))
        services.add("notifications", defines=walnats.Actors(SEND_EMAIL))
    """

    def __init__(self, *services: Service) -> None:
        self._services: dict[str, Service] = {}
        for service in services:
            self._insert(service)

    def _insert(self, service: Service) -> None:
        if service.name in self._services:
            raise ConfigError(f"a service named {service.name!r} is already registered")
        self._services[service.name] = service

    def add(
        self,
        name: str,
        *,
        version: str = "0.0.0",
        description: str | None = None,
        emits: Events | Iterable[BaseEvent[Any, Any]] = (),
        defines: Actors | Iterable[Actor[Any, Any]] = (),
        owns: Iterable[Any] = (),
    ) -> Services:
        """Register a service; returns the registry so calls can be chained."""
        if not isinstance(emits, Events):
            emits = Events(*emits)
        if not isinstance(defines, Actors):
            defines = Actors(*defines)
        self._insert(Service(name, version, description, emits, defines, tuple(owns)))
        return self

    def get(self, name: str) -> Service | None:
        """The service called *name*, or ``None``."""
        return self._services.get(name)

    def __iter__(self) -> Iterator[Service]:
        return iter(self._services.values())

    def __len__(self) -> int:
        return len(self._services)

    def events(self) -> Events:
        """Every event any service emits or handles."""
        found: dict[str, BaseEvent[Any, Any]] = {}
        for service in self:
            for event in service.emits:
                found.setdefault(event.name, event)
            for actor in service.defines:
                found.setdefault(actor.event.name, actor.event)
            for item in service.owns:
                for event in getattr(item, "events", ()):
                    if isinstance(event, BaseEvent):
                        found.setdefault(event.name, event)
        return Events(*found.values())

    def actors(self) -> Actors:
        """Every actor of every service."""
        return Actors(*(actor for service in self for actor in service.defines))

    def owned(self) -> list[Any]:
        """Every event-sourcing component of every service."""
        return [item for service in self for item in service.owns]
