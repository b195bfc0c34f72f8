"""The walnats internals this package builds on, imported in one place.

Projections write poison events into the same dead-letter stream as actors, with the
same headers, create plain-event streams from the same declarations, and unwrap
structured CloudEvents the same way, through ``walnats.plumbing``; this module is the
one place that imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import walnats
from walnats.plumbing import (
    EVENT_ID_HEADER,
    MSG_ID,
    SCHEDULES_MINIMUM,
    TARGET_HEADER,
    dead_letter_headers,
    dead_letter_spec,
    publish_dead_letter,
    spec_for_event,
    unwrap_structured,
)

if TYPE_CHECKING:
    from nats.aio.client import Client

__all__ = [
    "EVENT_ID_HEADER",
    "MSG_ID",
    "TARGET_HEADER",
    "dead_letter_headers",
    "dead_letter_spec",
    "publish_dead_letter",
    "stream_spec",
    "unwrap_structured",
]


def stream_spec(nc: Client, event: walnats.BaseEvent[Any, Any]) -> walnats.StreamSpec:
    """The stream a plain event's publishers and actors declare, exactly as they do."""
    found = nc.connected_server_version
    try:
        version = walnats.ServerVersion(found.major, found.minor, found.patch)
    except (TypeError, ValueError):
        version = walnats.ServerVersion(0, 0, 0)
    schedules = version >= walnats.ServerVersion.parse(SCHEDULES_MINIMUM)
    return spec_for_event(event, schedules=schedules)
