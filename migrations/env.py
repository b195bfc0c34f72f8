"""Alembic environment of the walnats toolkit tables (checkpoints, claims, ledger, ...).

Run through ``walnats db upgrade`` or ``projections.upgrade_database(url)``, which build
the configuration in code (no ``alembic.ini``) and pass an open connection in
``config.attributes["connection"]``. Without one, ``sqlalchemy.url`` is opened with an
asyncio engine (the toolkit's drivers are aiosqlite and asyncpg).

The version table is ``walnats_alembic_version``, never the application's
``alembic_version``.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from projections._read._database import database_url
from projections._read._tables import VERSION_TABLE, toolkit_metadata

config = context.config


def _configure(**options: object) -> None:
    context.configure(
        target_metadata=toolkit_metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,  # SQLite cannot ALTER most things: batch mode copies tables
        compare_type=True,
        **options,  # type: ignore[arg-type]
    )


def _run(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_url(url: str) -> None:
    engine = create_async_engine(database_url(url), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_offline() -> None:
    """Print the SQL instead of running it (``--sql``)."""
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run against the connection handed over, or open ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    asyncio.run(_run_with_url(str(database_url(url))))


if context.is_offline_mode():
    run_offline()
else:
    run_online()
