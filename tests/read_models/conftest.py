"""Databases for the read-model tests: a SQLite file, or a fresh PostgreSQL schema."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from rm_kit import SCHEMAS
from sqlalchemy.ext.asyncio import AsyncEngine

from projections._read import open_database


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An empty SQLite database file (WAL mode) for one test."""
    engine = open_database(f"sqlite+aiosqlite:///{tmp_path}/read.db")
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def postgres_db(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """A schema of its own in the test PostgreSQL, dropped afterwards."""
    import asyncpg

    schema = f"rm_{uuid.uuid4().hex[:12]}"
    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        engine = open_database(
            postgres_url,
            connect_args={"server_settings": {"search_path": schema, "application_name": schema}},
        )
        SCHEMAS[id(engine)] = schema
        try:
            yield engine
        finally:
            await engine.dispose()
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await admin.close()
