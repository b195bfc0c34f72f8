"""Which nats-server features event sourcing needs, checked before they are used.

Old servers silently ignore headers they do not know. A 2.10 server would store an
event whose ``Nats-Expected-Last-Subject-Sequence-Subject`` it never checked (a lost
update), treat an atomic batch as unrelated messages (a partial command) and answer a
batched Direct Get with a single message (a truncated history). So every gate runs
on the client, before the first request, and fails with :class:`walnats.ServerTooOld`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import walnats

if TYPE_CHECKING:
    from nats.aio.client import Client

__all__ = [
    "ATOMIC_BATCH",
    "EVENT_SOURCING",
    "Feature",
    "require",
    "server_version",
    "supports",
]


class Feature:
    """A server feature: what it is called in errors and the first version that has it."""

    __slots__ = ("minimum", "name")

    def __init__(self, name: str, minimum: str) -> None:
        self.name = name
        self.minimum = walnats.ServerVersion.parse(minimum)


EVENT_SOURCING = Feature(
    "event sourcing (per-aggregate optimistic concurrency with "
    "Nats-Expected-Last-Subject-Sequence-Subject and batched Direct Get)",
    "2.11.0",
)
"""Loading and saving aggregates at all."""

ATOMIC_BATCH = Feature(
    "saving several events of one command atomically (atomic batch publish)", "2.12.0"
)
"""Commands that return more than one event."""


def server_version(nc: Client) -> walnats.ServerVersion:
    """The version of the server *nc* is connected to (``0.0.0`` when unknown)."""
    found = nc.connected_server_version
    try:
        return walnats.ServerVersion(found.major, found.minor, found.patch)
    except (TypeError, ValueError):  # "0.0.0-unknown" before the first connection
        return walnats.ServerVersion(0, 0, 0)


def supports(found: walnats.ServerVersion, feature: Feature) -> bool:
    """Whether a server of version *found* has *feature*."""
    return found >= feature.minimum


def require(found: walnats.ServerVersion, feature: Feature) -> None:
    """Raise :class:`walnats.ServerTooOld` naming *feature* unless *found* has it."""
    if not supports(found, feature):
        raise walnats.ServerTooOld(feature.name, str(feature.minimum), str(found))
