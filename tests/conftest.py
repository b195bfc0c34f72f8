"""Shared fixtures: one nats-server per session (from the wheel), PostgreSQL on demand."""

from __future__ import annotations

import asyncio
import os

import pytest

pytest_plugins = ["walnats.testing"]

POSTGRES_URL = os.environ.get(
    "WALNATS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A reachable PostgreSQL URL; skips when unreachable, but fails under CI=true."""
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is in the dev extra
        _unavailable("asyncpg is not installed")
    dsn = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")

    async def probe() -> None:
        conn = await asyncpg.connect(dsn, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        _unavailable(f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc}")
    return POSTGRES_URL


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
    pytest.skip(reason)
