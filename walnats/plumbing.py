"""Low-level building blocks for packages built on walnats.

The event-sourcing toolkit (``projections``) and the CLI (``tooling``) write dead
letters, declare streams and parse messages exactly as the core does; they import the
pieces from here. Application code rarely needs this module: prefer the names in
``walnats`` itself.
"""

from __future__ import annotations

from ._cloudevents import unwrap_structured
from ._connection import on_reconnect, open_connection, require, server_version
from ._context import CAUSATION_ID, EVENT_ID_HEADER, MSG_ID, NOT_BEFORE_HEADER, TRACE_ID
from ._dead_letters._record import (
    TARGET_HEADER,
    dead_letter_headers,
    dead_letter_spec,
    dead_letter_subject,
    publish_dead_letter,
)
from ._events._connected import ERROR_HEADER, EXPIRES_HEADER, REPLY_HEADER
from ._names import check_name, kebab_case
from ._serializers import schema_components
from ._server import NatsServer, find_nats_server, free_port
from ._streams import SCHEDULES_MINIMUM, delayed_subject, spec_for_event

__all__ = [
    # headers walnats reads and writes
    "CAUSATION_ID",
    "ERROR_HEADER",
    "EVENT_ID_HEADER",
    "EXPIRES_HEADER",
    "MSG_ID",
    "NOT_BEFORE_HEADER",
    "REPLY_HEADER",
    "TARGET_HEADER",
    "TRACE_ID",
    # connections and server features
    "SCHEDULES_MINIMUM",
    "on_reconnect",
    "open_connection",
    "require",
    "server_version",
    # streams
    "delayed_subject",
    "spec_for_event",
    # dead letters
    "dead_letter_headers",
    "dead_letter_spec",
    "dead_letter_subject",
    "publish_dead_letter",
    # messages
    "schema_components",
    "unwrap_structured",
    # names
    "check_name",
    "kebab_case",
    # the nats-server binary
    "NatsServer",
    "find_nats_server",
    "free_port",
]
