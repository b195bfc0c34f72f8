"""The read-model contract on each database backend, plus backend-specific faults."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rm_contract import ReadModelContract
from rm_contract_reactors import ReactorContract
from rm_contract_replay import ReplayContract
from rm_kit import (
    SCHEMAS,
    balance_projection,
    deposit_event,
    emit_deposits,
    fold,
    make_deposits,
    read_balances,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from projections._read import ProjectionRunner


class TestSQLite(ReadModelContract, ReplayContract, ReactorContract):
    """SQLite (aiosqlite, WAL): the embedded default."""

    @pytest.fixture
    def db(self, sqlite_db: AsyncEngine) -> AsyncEngine:
        return sqlite_db


@pytest.mark.postgres
class TestPostgres(ReadModelContract, ReplayContract, ReactorContract):
    """PostgreSQL (asyncpg), one schema per test."""

    @pytest.fixture
    def db(self, postgres_db: AsyncEngine) -> AsyncEngine:
        return postgres_db

    async def test_outage__terminated_connections_mid_batch(
        self, migrated: AsyncEngine, nc: Any, postgres_url: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        """pg_terminate_backend on the runner's connections, repeatedly: exact fold."""
        import asyncpg

        event = deposit_event()
        deposits = make_deposits(4000)
        admin = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
        killed = 0
        try:
            async with ProjectionRunner(balance_projection(event), nc, migrated) as runner:
                await emit_deposits(nc, event, deposits)
                for _ in range(5):
                    await asyncio.sleep(0.1)
                    killed += len(
                        await admin.fetch(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = $1",
                            SCHEMAS[id(migrated)],
                        )
                    )
                await runner.catch_up(timeout=60)
        finally:
            await admin.close()
        assert killed
        assert "the database failed" in caplog.text
        assert await read_balances(migrated) == fold(deposits).as_rows()
