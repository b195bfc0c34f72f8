"""``walnats status``: how far behind each consumer is, and its dead letters."""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nats.js.errors import NotFoundError

import projections as toolkit
from walnats import DeadLetters, Services

from .._app import load_app
from .._flow import components_of
from ._common import Subparsers, add_app, add_connection, connect, table
from ._toolkit import add_db, database

if TYPE_CHECKING:
    from nats.aio.client import Client

__all__ = ["register"]

_DESCRIPTION = """\
Show, per actor and reactor of the app: events waiting to be delivered (pending: the
lag), delivered but not yet acknowledged (ack pending), redeliveries, and dead
letters. One that never ran shows as `not registered`. Projections follow, with
their status and how many events they are behind their checkpoints (this reads the
toolkit database: --db).
"""


@dataclass(frozen=True)
class _Consumer:
    """An actor or reactor: a durable consumer named *name* on *stream*."""

    service: str
    kind: str
    name: str
    stream: str


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    """Add ``walnats status``."""
    parser = subparsers.add_parser(
        "status",
        parents=[common],
        help="pending events, redeliveries and dead letters per consumer",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: walnats status myapp:services --json",
    )
    add_app(parser)
    add_connection(parser)
    add_db(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Query the server (and the database for projections); print tables or JSON."""
    services, _ = load_app(args.app)
    consumers, projections = _targets(services)
    actors, read_models = asyncio.run(_collect(args, consumers, projections))
    if args.json:
        print(json.dumps({"actors": actors, "projections": read_models}, indent=2))
        return 0
    headers = ("SERVICE", "ACTOR", "STREAM", "PENDING", "ACK PENDING", "REDELIVERED", "DEAD")
    rows = [
        (
            row["service"],
            row["name"] if row["kind"] == "actor" else f"{row['name']} (reactor)",
            row["stream"],
            row["pending"] if row["registered"] else "not registered",
            row["ack_pending"],
            row["redelivered"],
            row["dead_letters"],
        )
        for row in actors
    ]
    print(table(headers, rows))
    if read_models:
        print()
        columns = ("SERVICE", "PROJECTION", "VERSION", "STATUS", "CHECKPOINT", "BEHIND", "ERROR")
        print(
            table(
                columns,
                [
                    (
                        r["service"],
                        r["name"],
                        r["version"],
                        r["status"],
                        _checkpoints(r["checkpoints"]),
                        r["behind"],
                        r["error"],
                    )
                    for r in read_models
                ],
            )
        )
    return 0


def _checkpoints(by_stream: dict[str, dict[str, int]]) -> str:
    """``order:41/41`` per stream: the sequence applied and the stream's last one."""
    return ", ".join(f"{k}:{v['checkpoint']}/{v['last']}" for k, v in by_stream.items()) or "-"


def _targets(services: Services) -> tuple[list[_Consumer], list[tuple[str, Any]]]:
    """The app's consumers (actors, reactors) and projections, with their services."""
    consumers: list[_Consumer] = []
    projections: list[tuple[str, Any]] = []
    for service in services:
        consumers += [
            _Consumer(service.name, "actor", actor.name, actor.event.stream_name)
            for actor in service.defines
        ]
        for component in components_of(service):
            if component.kind == "reactor" and len(component.consumes) == 1:
                stream = component.consumes[0].stream_name
                consumers.append(_Consumer(service.name, "reactor", component.name, stream))
            elif component.kind == "projection":
                projections.append((service.name, component.obj))
    return consumers, projections


async def _collect(
    args: argparse.Namespace, consumers: list[_Consumer], projections: list[tuple[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    async with connect(args) as nc:
        rows = await asyncio.gather(*(_consumer(nc, consumer) for consumer in consumers))
        read_models = []
        for service, projection in projections:
            status = await toolkit.projection_status(projection, nc, database(args))
            read_models.append(
                {
                    "service": service,
                    "name": status.name,
                    "version": status.version,
                    "status": status.status,
                    "active": status.active,
                    "behind": status.behind,
                    "checkpoints": {
                        lag.stream: {"checkpoint": lag.checkpoint, "last": lag.last_sequence}
                        for lag in status.lag
                    },
                    "error": status.error,
                }
            )
        return list(rows), read_models


async def _consumer(nc: Client, consumer: _Consumer) -> dict[str, Any]:
    found: dict[str, Any] = {
        "service": consumer.service,
        "kind": consumer.kind,
        "name": consumer.name,
        "stream": consumer.stream,
        "registered": True,
        "pending": None,
        "ack_pending": None,
        "redelivered": None,
        "dead_letters": await DeadLetters(nc).count(consumer.name),
    }
    try:
        info = await nc.jetstream().consumer_info(consumer.stream, consumer.name)
    except NotFoundError:
        found["registered"] = False
        return found
    found["pending"] = info.num_pending or 0
    found["ack_pending"] = info.num_ack_pending or 0
    found["redelivered"] = info.num_redelivered or 0
    return found
