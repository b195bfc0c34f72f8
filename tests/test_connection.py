"""Connecting: dead servers fail fast and clearly; versions are read."""

from __future__ import annotations

import asyncio

import pytest

import walnats
from tests.helpers import order_event
from walnats._connection import ServerVersion, open_connection, require
from walnats.testing import free_port


async def test_connect__dead_server_fails_fast() -> None:
    """A server that is not there gives ConnectionFailed within the bound, with advice."""
    url = f"nats://127.0.0.1:{free_port()}"
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(
        walnats.ConnectionFailed, match=r"cannot connect to NATS at .* within 1s"
    ) as info:
        async with walnats.Events(order_event()).connect(url, connect_timeout=1):
            pass
    assert loop.time() - started < 3
    assert "Is nats-server running there?" in str(info.value)


async def test_connect__nats_url_env(nats_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a server argument, NATS_URL is used."""
    monkeypatch.setenv("NATS_URL", nats_url)
    async with walnats.Events(order_event()).connect() as conn:
        assert conn.client.is_connected


async def test_connect__adopts_client_without_closing(nats_url: str) -> None:
    """A connected nats-py client can be passed in; close=False leaves it open."""
    nc = await open_connection(nats_url)
    try:
        async with walnats.Events(order_event()).connect(nc, close=False) as conn:
            assert conn.client is nc
        assert nc.is_connected
    finally:
        await nc.close()


async def test_server_version__gate(nats_url: str) -> None:
    """A feature gate passes on the wheel's server and names the feature when too old."""
    nc = await open_connection(nats_url)
    try:
        require(nc, "atomic batches", "2.12")
        with pytest.raises(
            walnats.ServerTooOld,
            match=r"^time travel needs nats-server >= 9.0, but the server is 2\.",
        ):
            require(nc, "time travel", "9.0")
    finally:
        await nc.close()


def test_server_version__parse_and_compare() -> None:
    """Versions parse with prefixes and suffixes and compare numerically."""
    assert ServerVersion.parse("v2.10.3-beta") == ServerVersion(2, 10, 3)
    assert ServerVersion.parse("2.9") < ServerVersion.parse("2.11.0")
    assert str(ServerVersion.parse("2.15.1")) == "2.15.1"
