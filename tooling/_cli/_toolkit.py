"""The event-sourcing runtime the CLI drives, looked up by name in ``projections``.

The ``projections`` package is written alongside this CLI and exports its runtime
(``serve``, ``replay``, ``upgrade_database``, ``projection_status``) as it lands. The
commands look each function up when they run: until it is exported they say so
(``error: ... is not available yet``), and they light up without a change here.
"""

from __future__ import annotations

import argparse
from typing import Any

import projections

from ._common import CommandError, env_or

__all__ = ["DEFAULT_DB", "add_db", "available", "database", "display_url", "require"]

DEFAULT_DB = "sqlite+aiosqlite:///.walnats/walnats.db"
"""Where the toolkit's tables live when neither ``--db`` nor ``$WALNATS_DB`` says."""


def available(name: str) -> bool:
    """Whether ``projections`` exports *name* yet."""
    return callable(getattr(projections, name, None))


def require(name: str, command: str) -> Any:
    """``projections.<name>``, or the error saying *command* is not available yet."""
    found = getattr(projections, name, None)
    if not callable(found):
        raise CommandError(
            f"{command} is not available yet: the projections package has no {name}() API"
        )
    return found


def add_db(parser: argparse.ArgumentParser) -> None:
    """``--db``."""
    parser.add_argument(
        "--db",
        metavar="URL",
        help=f"SQLAlchemy URL of the toolkit database (default: $WALNATS_DB, else {DEFAULT_DB})",
    )


def database(args: argparse.Namespace) -> str:
    """The database URL: ``--db``, else ``$WALNATS_DB``, else :data:`DEFAULT_DB`."""
    return env_or(getattr(args, "db", None), "WALNATS_DB") or DEFAULT_DB


def display_url(url: str) -> str:
    """*url* with any password masked, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url
