"""Opening the read-side database and running the toolkit's transactions on it.

SQLite (aiosqlite) is the embedded default and PostgreSQL (asyncpg) the server one.
Both get the same transactions; two things differ and are handled here:

* SQLite allows one writer at a time. A batch transaction that starts by reading
  (a handler's ``session.get``) and then writes would fail with ``database is
  locked`` when another projection wrote meanwhile, so toolkit transactions on SQLite
  start with ``BEGIN IMMEDIATE``: they queue for the write lock (up to the busy
  timeout) instead of failing. WAL mode lets readers (the application's queries) run
  while a projection writes.
* Which errors mean "the database is unavailable, or its schema does not match the
  code" (retry the same batch until fixed, never blame the event) rather than "this
  event cannot be applied" (retry, then dead-letter or stop): :func:`blames_database`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

import walnats

__all__ = [
    "DEFAULT_DATABASE",
    "Database",
    "database_url",
    "blames_database",
    "open_database",
]

DEFAULT_DATABASE = "sqlite+aiosqlite:///.walnats/walnats.db"
"""The database used when neither an argument nor ``$WALNATS_DB`` names one."""

SQLITE_BUSY_TIMEOUT = 30.0
"""Seconds a SQLite transaction waits for the write lock before failing."""


def database_url(url: str | URL | None = None) -> URL:
    """The database URL to use: *url*, else ``$WALNATS_DB``, else :data:`DEFAULT_DATABASE`.

    ``postgresql://`` and ``postgres://`` URLs get the asyncpg driver, ``sqlite://``
    URLs the aiosqlite driver: the toolkit is asyncio only.
    """
    text = url if url is not None else os.environ.get("WALNATS_DB") or DEFAULT_DATABASE
    parsed = make_url(text)
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgres", "postgresql") and driver in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif backend == "sqlite" and driver in ("", "pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed


def open_database(url: str | URL | None = None, **options: Any) -> AsyncEngine:
    """An async SQLAlchemy engine for projections, reactors and their read models.

    On SQLite the database file's folder is created, WAL mode is switched on, and
    ``synchronous=NORMAL`` (safe with WAL: a power cut may lose the last commits,
    never half of one) and ``foreign_keys=ON`` are set on every connection.
    *options* go to :func:`sqlalchemy.ext.asyncio.create_async_engine`.

    Raises:
        walnats.ConfigError: an in-memory SQLite database (each connection would see
            its own empty database; use a file, e.g. in a temporary folder).
        ModuleNotFoundError: the driver is missing; the message is the install command.
    """
    parsed = database_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            raise walnats.ConfigError(
                "an in-memory SQLite database cannot hold projections: every connection "
                "would see its own empty database. Use a file, e.g. "
                "sqlite+aiosqlite:///tmp/walnats.db"
            )
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args = dict(options.pop("connect_args", {}))
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT)
        _require("aiosqlite", "pip install aiosqlite")
        engine = create_async_engine(parsed, connect_args=connect_args, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        _require("asyncpg", "pip install 'walnats[postgres]'")
    options.setdefault("pool_pre_ping", True)
    return create_async_engine(parsed, **options)


def _require(module: str, command: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ModuleNotFoundError(f"the {module} driver is not installed: {command}")


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


_DATABASE_FAULTS = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    sa_exc.ProgrammingError,
    OSError,
)
_DRIVER_FAULTS = frozenset(
    {
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "CannotConnectNowError",
        "AdminShutdownError",
        "InterfaceError",
        "UndefinedTableError",
        "UndefinedColumnError",
    }
)


def blames_database(exc: BaseException) -> bool:
    """Whether *exc* is the database's fault rather than the event's.

    Lost connections, timeouts, a locked SQLite file, a PostgreSQL restart or
    ``pg_terminate_backend``, and schema mismatches (a missing table or column: the
    read-model migration did not run) all say nothing about the event. The runner
    retries the same batch until the database answers, logging every attempt, and
    never dead-letters or skips an event for them. Integrity and data errors, and
    everything a handler raises itself, are the event's.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _DATABASE_FAULTS):
            return True
        if type(current).__name__ in _DRIVER_FAULTS:
            return True
        orig = getattr(current, "orig", None)  # the driver's error inside a DBAPIError
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


class Database:
    """An engine plus the toolkit's transaction helper; built once per runner.

    Pass an :class:`~sqlalchemy.ext.asyncio.AsyncEngine` to share the application's
    engine (it is never disposed here), or a URL / ``None`` to open one with
    :func:`open_database` (disposed by :meth:`close`).
    """

    def __init__(self, db: AsyncEngine | str | URL | None = None) -> None:
        if isinstance(db, AsyncEngine):
            self.engine = db
            self._owned = False
        else:
            self.engine = open_database(db)
            self._owned = True
        self.sqlite = self.engine.dialect.name == "sqlite"
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        """The URL without its password, for log lines and errors."""
        return self.engine.url.render_as_string(hide_password=True)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one write transaction: committed on success, rolled back on error."""
        async with self.sessions() as session, session.begin():
            if self.sqlite:
                await session.execute(sa.text("BEGIN IMMEDIATE"))
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only (no write lock on SQLite)."""
        async with self.sessions() as session:
            yield session

    async def close(self) -> None:
        """Dispose of the engine if this object opened it."""
        if self._owned:
            await self.engine.dispose()


def as_database(db: Database | AsyncEngine | str | URL | None) -> Database:
    """*db* as a :class:`Database` (an existing one is returned unchanged)."""
    return db if isinstance(db, Database) else Database(db)


async def insert_new(session: AsyncSession, table: sa.Table, values: dict[str, Any]) -> bool:
    """``INSERT ... ON CONFLICT DO NOTHING``; returns whether the row was inserted.

    A conflict does not abort the transaction (unlike catching an IntegrityError on
    PostgreSQL), so no savepoint is needed.
    """
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: Any = pg_insert(table).values(**values).on_conflict_do_nothing()
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise walnats.ConfigError(f"the {name} database is not supported: use SQLite or PostgreSQL")
    result: Any = await session.execute(statement)
    return bool(result.rowcount == 1)
