"""Where the toolkit database is: ``--db``, ``$WALNATS_DB``, or the local default."""

from __future__ import annotations

import argparse

from ._common import env_or

__all__ = ["DEFAULT_DB", "add_db", "database", "display_url"]

DEFAULT_DB = "sqlite+aiosqlite:///.walnats/walnats.db"
"""Where the toolkit's tables live when neither ``--db`` nor ``$WALNATS_DB`` says."""


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
