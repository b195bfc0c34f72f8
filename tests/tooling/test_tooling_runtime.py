"""The commands that talk to a real nats-server: run, status, dlq, snapshot, server."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import TypeAlias

import app_fixture
import pytest
from tooling_helpers import APP, ES_APP, Running, environment, suffix
from tooling_helpers import walnats as run

import projections
import walnats
from walnats._server import free_port

FIXTURE = "tests.tooling.app_fixture:services"

AppEnv: TypeAlias = tuple[app_fixture.App, dict[str, str]]
"""The fixture app's declarations, and the environment that makes the CLI use them."""


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppEnv:
    """Fresh names for this test, and the environment that makes the CLI use them.

    Handlers run in this process too (burst mode) and write to the same file.
    """
    name = suffix()
    out = str(tmp_path / "out.txt")
    monkeypatch.setenv("TOOLING_APP_OUT", out)
    env = environment(TOOLING_APP_SUFFIX=name, TOOLING_APP_OUT=out)
    return app_fixture.declare(name), env


def handled(env: dict[str, str], count: int, timeout: float = 10) -> list[str]:
    """The lines the app's handlers wrote, once there are *count* of them."""
    out = Path(env["TOOLING_APP_OUT"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = out.read_text().splitlines() if out.exists() else []
        if len(lines) >= count:
            return sorted(lines)
        time.sleep(0.05)
    raise AssertionError(f"only {lines!r} handled")


async def emit(url: str, kit: app_fixture.App, *ids: int) -> None:
    """Emit one order-placed event per id."""
    async with walnats.Events(kit.order_placed).connect(url) as conn:
        for order_id in ids:
            await conn.emit(kit.order_placed, app_fixture.OrderPlaced(order_id, ["book"]))


def test_run__handles_events_and_drains_on_sigint(nats_url: str, app: AppEnv) -> None:
    """The banner names server, streams and consumers; SIGINT drains and exits 0."""
    kit, env = app
    proc = Running("run", APP, "--url", nats_url, "--log-level", "debug", env=env)
    try:
        proc.wait_for("workers:")
        assert proc.stdout[0] == f"walnats {walnats.__version__} running {APP}"
        assert proc.stdout[1].startswith(f"server:    {nats_url} (nats-server ")
        assert kit.order_placed.name in proc.stdout[2]
        assert f"{kit.actor('send-email')} ({kit.order_placed.name})" in proc.stdout[3]
        asyncio.run(emit(nats_url, kit, 1, 2))
        assert handled(env, 6) == [
            "audit 1",
            "audit 2",
            "email 1",
            "email 2",
            "ship 1",
            "ship 2",
        ]
        proc.wait_for(f"{kit.actor('send-email')} handled {kit.order_placed.name}")
        assert proc.stop(signal.SIGINT) == 0
    finally:
        proc.kill()
    assert any("SIGINT received: draining" in line for line in proc.stderr)
    assert proc.stderr[-1].endswith("walnats.cli: stopped")


def test_run__workers_share_consumers_and_log_json(nats_url: str, app: AppEnv) -> None:
    """Two worker processes split the events; SIGTERM stops both; logs are JSON lines."""
    kit, env = app
    proc = Running("run", APP, "--url", nats_url, "--workers", "2", "--log-format", "json", env=env)
    try:
        proc.wait_for('"worker 1 listening"')
        proc.wait_for('"worker 2 listening"')
        asyncio.run(emit(nats_url, kit, *range(10)))
        lines = handled(env, 30)
        assert len(lines) == 30
        assert len(set(lines)) == 30  # each event once per actor
        assert proc.stop(signal.SIGTERM) == 0
    finally:
        proc.kill()
    records = [json.loads(line) for line in proc.stderr if line.startswith("{")]
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert records[0]["message"] == "walnats started"
    assert records[0]["workers"] == 2
    assert {r.get("worker") for r in records if r["message"] == "stopped"} == {1, 2}
    assert records[-1]["message"] == "all 2 workers stopped"


def test_run__workers_stop_when_the_supervisor_dies(nats_url: str, app: AppEnv) -> None:
    """A supervisor killed with SIGKILL cannot forward signals; its workers notice
    and drain by themselves instead of running on as orphans."""
    _, env = app
    proc = Running("run", APP, "--url", nats_url, "--workers", "2", "--log-format", "json", env=env)
    try:
        proc.wait_for('"worker 1 listening"')
        proc.wait_for('"worker 2 listening"')
        proc.proc.kill()
        proc.wait_for('"supervisor gone received: draining", "worker": 1')
        proc.wait_for('"supervisor gone received: draining", "worker": 2')
        stopped = [line for line in proc.stderr if '"message": "stopped"' in line]
        deadline = time.monotonic() + 10
        while len(stopped) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            stopped = [line for line in proc.stderr if '"message": "stopped"' in line]
        assert len(stopped) == 2
    finally:
        proc.kill()


def test_run__embedded_server(tmp_path: Path, app: AppEnv) -> None:
    """--embedded starts nats-server with its data under .walnats/ and stops it after."""
    _, env = app
    port = free_port()
    proc = Running("run", FIXTURE, "--embedded", "--port", str(port), cwd=tmp_path, env=env)
    try:
        line = proc.wait_for("server:")
        assert f"nats://127.0.0.1:{port} (nats-server " in line
        assert "embedded, data in .walnats/jetstream" in line
        proc.wait_for("workers:")
        assert proc.stop(signal.SIGINT) == 0
    finally:
        proc.kill()
    assert (tmp_path / ".walnats" / "jetstream" / "jetstream").is_dir()
    assert not _listening(port)


def _listening(port: int) -> bool:
    from tooling._embedded import is_listening

    return is_listening("127.0.0.1", port)


def test_run__dead_server() -> None:
    """A server nobody runs: a clear error within the connect timeout, exit 1."""
    port = free_port()
    started = time.monotonic()
    done = run("run", APP, "--url", f"nats://127.0.0.1:{port}", "--connect-timeout", "2")
    assert time.monotonic() - started < 10
    assert done.returncode == 1
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(f"error: cannot connect to NATS at nats://127.0.0.1:{port} within 2s")
    assert "`walnats server` starts one" in line


def test_run__url_and_embedded_conflict() -> None:
    """--url and --embedded together make no sense."""
    done = run("run", APP, "--url", "nats://127.0.0.1:1", "--embedded")
    assert done.stderr == "error: use either --url or --embedded, not both\n"


def test_status(nats_url: str, app: AppEnv) -> None:
    """Per actor: pending, ack pending, redelivered, dead letters; JSON on request."""
    kit, env = app
    before = json.loads(run("status", APP, "--url", nats_url, "--json", env=env).stdout)
    assert {row["registered"] for row in before["actors"]} == {False}
    asyncio.run(_register_and_handle(nats_url, kit, 1, 2, 3))
    done = run("status", APP, "--url", nats_url, env=env)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[1]: line.split()[-4:] for line in done.stdout.splitlines()[1:]}
    assert rows[kit.actor("audit")] == ["0", "0", "0", "3"]  # 3 dead letters
    assert rows[kit.actor("send-email")] == ["0", "0", "0", "0"]
    as_json = json.loads(run("status", APP, "--url", nats_url, "--json", env=env).stdout)
    audit = next(row for row in as_json["actors"] if row["name"] == kit.actor("audit"))
    assert audit == {
        "service": "orders",
        "kind": "actor",
        "name": kit.actor("audit"),
        "stream": kit.order_placed.name,
        "registered": True,
        "pending": 0,
        "ack_pending": 0,
        "redelivered": 0,
        "dead_letters": 3,
    }


def test_status__dead_server() -> None:
    """status against nothing fails in time with one error line."""
    port = free_port()
    done = run("status", APP, "--url", f"nats://127.0.0.1:{port}", "--connect-timeout", "1")
    assert done.stderr.startswith(f"error: cannot connect to NATS at nats://127.0.0.1:{port}")


async def _register_and_handle(url: str, kit: app_fixture.App, *ids: int) -> None:
    """Register the app's actors, emit, and handle everything once (burst mode)."""
    actors = kit.services.actors()
    async with actors.connect(url) as conn:
        await conn.register()
        await emit(url, kit, *ids)
        await conn.listen(burst=True)


def test_dlq(nats_url: str, app: AppEnv) -> None:
    """list, show, retry (only the failed actor sees the event again) and purge."""
    kit, env = app
    audit = kit.actor("audit")
    asyncio.run(_register_and_handle(nats_url, kit, 7, 8, 9))
    url = ("--url", nats_url)
    listing = run("dlq", "list", "--actor", audit, *url, env=env)
    assert listing.returncode == 0, listing.stderr
    rows = listing.stdout.splitlines()
    assert rows[0].split() == [
        "SEQ",
        "ACTOR",
        "EVENT",
        "ATTEMPTS",
        "REASON",
        "FAILED",
        "(UTC)",
        "ERROR",
    ]
    assert rows[-1] == "3 of 3 dead letter(s) shown"
    first, second, third = (int(row.split()[0]) for row in rows[1:4])
    shown = json.loads(run("dlq", "show", str(first), "--json", *url, env=env).stdout)
    assert (shown["actor"], shown["event"], shown["attempts"]) == (audit, kit.order_placed.name, 1)
    assert shown["error"] == "order 7 cannot be audited"
    assert json.loads(shown["data"]) == {"order_id": 7, "items": ["book"]}
    text = run("dlq", "show", str(first), *url, env=env).stdout
    assert f"actor:      {audit}" in text

    retried = run("dlq", "retry", str(first), *url, env=env)
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout == "re-drove 1 dead letter(s) to their actors\n"
    Path(env["TOOLING_APP_OUT"]).unlink()
    asyncio.run(_handle(nats_url, kit))
    assert handled(env, 1) == ["audit 7"]  # send-email and ship-order skipped it

    purged = run("dlq", "purge", str(second), *url, env=env)
    assert purged.stdout == "purged 1 dead letter(s)\n"
    remaining = run("dlq", "list", "--actor", audit, "--json", *url, env=env).stdout
    sequences = [json.loads(line)["sequence"] for line in remaining.splitlines()]
    assert third in sequences
    assert second not in sequences
    assert first not in sequences
    everything = run("dlq", "purge", "--actor", audit, *url, env=env)
    assert everything.stdout == f"purged {len(sequences)} dead letter(s)\n"


async def _handle(url: str, kit: app_fixture.App) -> None:
    async with kit.services.actors().connect(url) as conn:
        await conn.listen(burst=True)


def test_dlq__errors(nats_url: str) -> None:
    """No selection, and a sequence that does not exist: one error line each."""
    assert run("dlq", "retry", "--url", nats_url).stderr == (
        "error: name the dead letters to retry: sequence numbers (SEQ...), --actor NAME, or "
        "--all (exactly one of them); see `walnats dlq list`\n"
    )
    missing = run("dlq", "show", "999999999", "--url", nats_url)
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: no dead letter with sequence 999999999")


def test_snapshot(nats_url: str, app: AppEnv) -> None:
    """snapshot runs projections.snapshot_moved for the named aggregate type."""
    kit, env = app

    async def write() -> None:
        async with kit.counter.connect(nats_url) as store:
            for _ in range(3):
                await store.execute(
                    "c-1", lambda _: [projections.new(kit.incremented, app_fixture.Incremented(1))]
                )

    asyncio.run(write())
    done = run("snapshot", ES_APP, kit.counter.name, "--url", nats_url, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"{kit.counter.name}: 1 aggregate(s) checked, 1 moved by 1+ event(s), 1 snapshot(s) taken\n"
    )
