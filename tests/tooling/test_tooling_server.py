"""``walnats server``: the development nats-server in the foreground."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tooling_helpers import Running
from tooling_helpers import walnats as run

import walnats
from tooling._embedded import is_listening
from walnats._server import free_port
from walnats.testing import unique_name


def test_server(tmp_path: Path) -> None:
    """``walnats server`` serves JetStream until Ctrl-C, keeping data in --store-dir."""
    port = free_port()
    store = tmp_path / "js"
    proc = Running("server", "--port", str(port), "--store-dir", str(store))
    try:
        line = proc.wait_for("listening")
        assert line == (
            f"nats-server listening on nats://127.0.0.1:{port} with JetStream "
            f"(data in {store}); press Ctrl-C to stop"
        )
        event = walnats.Event(unique_name("server"), bytes)

        async def use() -> None:
            async with walnats.Events(event).connect(f"nats://127.0.0.1:{port}") as conn:
                await conn.register()
                await conn.emit(event, b"x")

        asyncio.run(use())
        assert proc.stop(signal.SIGINT) == 0
    finally:
        proc.kill()
    assert proc.stdout[-1] == "nats-server stopped"
    assert not is_listening("127.0.0.1", port)
    assert (store / "jetstream").is_dir()


def test_server__port_taken(nats_url: str) -> None:
    """A taken port is an error: clients expect the server where they were told."""
    port = int(nats_url.rsplit(":", 1)[1])
    done = run("server", "--port", str(port))
    assert done.stderr == (
        f"error: port {port} on 127.0.0.1 is already in use (another nats-server?); pass "
        "--port with a free port, or stop the other process\n"
    )
