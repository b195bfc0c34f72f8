"""Creating and upgrading the toolkit tables with the Alembic revisions in ``migrations/``.

The revisions ship inside the wheel (the ``migrations`` package next to ``projections``)
and run without any ``alembic.ini``: the configuration is built here. The toolkit keeps
its revision in its own version table (``walnats_alembic_version``), so it never
interferes with the application's own Alembic history in the same database.
"""

from __future__ import annotations

import asyncio
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from ._database import Database, as_database
from ._errors import DatabaseNotMigrated
from ._tables import VERSION_TABLE

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection

__all__ = [
    "MIGRATIONS",
    "alembic_config",
    "check_database",
    "database_revision",
    "downgrade_database",
    "head_revision",
    "upgrade_database",
]

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
"""The ``migrations`` package shipped next to ``projections`` (found by path, so that an
application's own ``migrations`` package on ``sys.path`` cannot shadow it)."""

_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)
_checked: weakref.WeakSet[AsyncEngine] = weakref.WeakSet()
"""Engines known to be at head (checked once per engine)."""


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic configuration for the toolkit's revisions, without ``alembic.ini``.

    For the Alembic command API (``alembic.command.history(alembic_config(), ...)``).
    With *url*, ``env.py`` opens that database itself; the functions below pass their
    connection instead.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_table", VERSION_TABLE)
    if url is not None:
        rendered = url if isinstance(url, str) else url.render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest toolkit revision shipped with this version of walnats."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def upgrade_database(
    db: Database | AsyncEngine | str | URL | None = None, revision: str = "head"
) -> None:
    """Create or upgrade the toolkit tables (``walnats db upgrade``); idempotent.

    Run it once per deployment, before starting projections and reactors. *db* is a
    URL (default ``$WALNATS_DB``, else ``sqlite+aiosqlite:///.walnats/walnats.db``)
    or an engine.
    """
    await _run(db, "upgrade", revision)


async def downgrade_database(db: Database | AsyncEngine | str | URL | None, revision: str) -> None:
    """Downgrade the toolkit tables to *revision* (``"base"`` drops them all)."""
    await _run(db, "downgrade", revision)


async def database_revision(db: Database | AsyncEngine | str | URL | None = None) -> str | None:
    """The toolkit revision the database is at, or ``None`` before the first upgrade."""
    database = as_database(db)
    try:
        async with database.engine.connect() as connection:
            return await connection.run_sync(_current)
    finally:
        if database is not db:
            await database.close()


async def check_database(database: Database) -> None:
    """Fail fast, with the fix in the message, unless the toolkit tables are at head.

    Raises:
        DatabaseNotMigrated: the tables are missing or at an older revision.
    """
    if database.engine in _checked:
        return
    async with database.engine.connect() as connection:
        current = await connection.run_sync(_current)
    head = head_revision()
    if current != head:
        found = "has no toolkit tables" if current is None else f"is at revision {current}"
        raise DatabaseNotMigrated(
            f"the database {database.url} {found}, but this walnats needs revision {head}. "
            f"Run `walnats db upgrade --db <url>` (or `await "
            f"projections.upgrade_database(url)`) as part of the deployment."
        )
    _checked.add(database.engine)


def _current(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def _lock() -> asyncio.Lock:
    """One migration at a time per event loop: Alembic's ``op`` and ``context`` are globals."""
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        lock = _locks[loop] = asyncio.Lock()
    return lock


async def _run(db: Database | AsyncEngine | str | URL | None, action: str, revision: str) -> None:
    database = as_database(db)
    try:
        async with _lock(), database.engine.begin() as connection:
            await connection.run_sync(_command, action, revision)
    finally:
        _checked.discard(database.engine)
        if database is not db:
            await database.close()


def _command(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    run: Any = command.upgrade if action == "upgrade" else command.downgrade
    run(config, revision)
