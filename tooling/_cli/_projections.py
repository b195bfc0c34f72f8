"""``walnats replay``, ``walnats db upgrade`` and ``walnats snapshot``.

They drive the event-sourcing toolkit in the ``projections`` package: ``snapshot``
runs ``projections.snapshot_moved``, ``replay`` runs ``projections.replay`` and ``db
upgrade`` ``projections.upgrade_database`` (see ``_toolkit``: a function not exported
yet is reported as not available). Arguments that can be checked without it (unknown
projection or aggregate names) are checked first.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import projections

from .._app import load_app
from .._flow import Component, components_of
from ._common import CommandError, Subparsers, add_connection, connect, positive_int
from ._progress import Progress
from ._toolkit import DEFAULT_DB, add_db, database, display_url

__all__ = ["register"]


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    """Add ``walnats replay``, ``walnats db upgrade`` and ``walnats snapshot``."""
    replay = subparsers.add_parser(
        "replay",
        parents=[common],
        help="rebuild projections from the event log",
        description="Rebuild the named projections (all when none is named) from the "
        "event log, from the start or from --from-seq / --from-time.",
        epilog="example: walnats replay myapp:services order-totals --from-seq 1000",
    )
    replay.add_argument("names", nargs="*", metavar="[APP] PROJECTION")
    start = replay.add_mutually_exclusive_group()
    start.add_argument("--from-seq", type=int, metavar="N", help="stream sequence to start at")
    start.add_argument("--from-time", type=_iso_time, metavar="ISO", help="e.g. 2026-03-01T12:00Z")
    add_db(replay)
    add_connection(replay)
    replay.set_defaults(handler=_replay)

    db = subparsers.add_parser("db", parents=[common], help="manage the toolkit's database")
    db_commands = db.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    upgrade = db_commands.add_parser(
        "upgrade",
        parents=[common],
        help="apply migrations/ to the database",
        description="Create or upgrade the toolkit's tables (checkpoints, idempotency "
        "ledger, projection metadata) with the Alembic migrations shipped in walnats.",
    )
    upgrade.add_argument("--revision", default="head", help="default: %(default)s")
    add_db(upgrade)
    upgrade.set_defaults(handler=_db_upgrade)

    snapshot = subparsers.add_parser(
        "snapshot",
        parents=[common],
        help="take snapshots of an aggregate type now",
        description="Snapshot every aggregate of the type that moved since its last "
        "snapshot (projections.snapshot_moved), so loading it stays fast.",
        epilog="example: walnats snapshot myapp:services order",
    )
    snapshot.add_argument("names", nargs="+", metavar="[APP] AGGREGATE")
    snapshot.add_argument(
        "--min-events",
        type=positive_int,
        default=1,
        metavar="N",
        help="only aggregates at least N events past their snapshot (default: %(default)s)",
    )
    snapshot.add_argument(
        "--id", dest="ids", action="append", metavar="ID", help="only this aggregate id"
    )
    add_connection(snapshot)
    snapshot.set_defaults(handler=_snapshot)


def _replay(args: argparse.Namespace) -> int:
    app, names = _split_app(args.names)
    services, _ = load_app(app)
    found = _components(services, "projection")
    _check_names("projection", names, found)
    if not found:
        raise CommandError("the app has no projections to replay")
    chosen = [found[name].obj for name in names] if names else [c.obj for c in found.values()]
    progress = Progress("replay", None)

    def on_progress(state: Any) -> None:
        progress.note(str(state), state.done, state.total)

    async def run() -> list[Any]:
        async with connect(args) as nc:
            reports: list[Any] = await projections.replay(
                chosen,
                nc=nc,
                db=database(args),
                from_seq=args.from_seq,
                from_time=args.from_time,
                on_progress=on_progress,
            )
            return reports

    reports = asyncio.run(run())
    if progress.total is not None:
        progress.close()
    for report in reports:
        print(
            f"{report.projection} v{report.version}: {report.events} event(s) read, "
            f"{report.applied} applied in {report.seconds:.1f}s"
        )
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    url = database(args)
    if url == DEFAULT_DB:
        Path(".walnats").mkdir(exist_ok=True)
    asyncio.run(projections.upgrade_database(url, args.revision))
    print(f"the toolkit tables in {display_url(url)} are at revision {args.revision}")
    return 0


def _snapshot(args: argparse.Namespace) -> int:
    if len(args.names) > 2:
        raise CommandError("walnats snapshot takes [APP] AGGREGATE: one aggregate type")
    app, names = _split_app(args.names, positional_app=len(args.names) == 2)
    services, _ = load_app(app)
    found = _components(services, "aggregate")
    _check_names("aggregate", names, found)
    aggregate = found[names[0]].obj
    if not isinstance(aggregate, projections.Aggregate):
        raise CommandError(f"{names[0]!r} is not a projections.Aggregate")

    async def take() -> projections.SnapshotReport:
        async with aggregate.connect(args.url, connect_timeout=args.connect_timeout) as store:
            return await projections.snapshot_moved(
                store, min_events=args.min_events, ids=args.ids or None
            )

    report = asyncio.run(take())
    print(
        f"{names[0]}: {report.checked} aggregate(s) checked, {report.moved} moved by "
        f"{args.min_events}+ event(s), {report.taken} snapshot(s) taken"
    )
    return 0


def _iso_time(text: str) -> datetime:
    """An argparse type: an ISO 8601 time with a time zone."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; add Z or +00:00")
    return value


def _split_app(names: list[str], *, positional_app: bool = False) -> tuple[str | None, list[str]]:
    """APP is the first positional when it looks like ``module:attribute``."""
    if names and (positional_app or ":" in names[0]):
        return names[0], names[1:]
    return None, names


def _components(services: Any, kind: str) -> dict[str, Component]:
    return {
        component.name: component
        for service in services
        for component in components_of(service)
        if component.kind == kind
    }


def _check_names(kind: str, names: list[str], found: dict[str, Component]) -> None:
    for name in names:
        if name not in found:
            known = ", ".join(sorted(found)) or "none"
            raise CommandError(f"the app has no {kind} named {name!r}; its {kind}s are: {known}")
