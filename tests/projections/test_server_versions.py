"""Servers too old for a guarantee fail with ServerTooOld naming the feature and version."""

from __future__ import annotations

from pathlib import Path

import pytest
from es_helpers import Deposited, account_kit, deposit, open_store, subject_count

import projections
import walnats
from projections import _features, _store
from walnats.testing import NatsServer

DEBIAN_SERVER = Path("/usr/sbin/nats-server")


def test_versions__gate_names_feature_and_minimum() -> None:
    """The version gate compares versions and explains itself."""
    old = walnats.ServerVersion(2, 10, 22)
    with pytest.raises(walnats.ServerTooOld, match=r"needs nats-server >= 2\.11\.0.*is 2\.10\.22"):
        _features.require(old, _features.EVENT_SOURCING)
    with pytest.raises(walnats.ServerTooOld, match=r"atomic batch publish.*>= 2\.12\.0"):
        _features.require(walnats.ServerVersion(2, 11, 9), _features.ATOMIC_BATCH)
    _features.require(walnats.ServerVersion(2, 12, 0), _features.ATOMIC_BATCH)


async def test_versions__2_11_saves_single_events_only(
    nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On 2.11 (OCC, no atomic batch) one-event saves work; multi-event saves refuse."""
    kit = account_kit()
    async with open_store(nats_url, kit) as store:
        monkeypatch.setattr(_store, "server_version", lambda nc: walnats.ServerVersion(2, 11, 4))
        done = await store.execute("a-1", deposit(kit))
        assert done.version == 1
        with pytest.raises(walnats.ServerTooOld, match=r"several events.*>= 2\.12\.0.*is 2\.11\.4"):
            await store.execute("a-1", deposit(kit, times=2))
        assert await subject_count(store, "a-1") == 1


@pytest.mark.skipif(not DEBIAN_SERVER.exists(), reason="Debian's nats-server 2.9 is not installed")
async def test_versions__debian_2_9_is_refused() -> None:
    """On a real 2.9 server, register, load and save raise ServerTooOld: no silent fallback."""
    kit = account_kit()
    with NatsServer(binary=str(DEBIAN_SERVER)) as server:
        async with walnats.Events(kit.deposited).connect(server.url) as conn:
            store = projections.EventStore(kit.aggregate, conn.client)
            message = r"event sourcing .* needs nats-server >= 2\.11\.0, but the server is 2\.9\."
            with pytest.raises(walnats.ServerTooOld, match=message) as info:
                await store.register()
            assert (info.value.feature.split(" ")[0], info.value.required) == ("event", "2.11.0")
            with pytest.raises(walnats.ServerTooOld, match=message):
                await store.load("a-1")
            with pytest.raises(walnats.ServerTooOld, match=message):
                await store.save("a-1", [projections.new(kit.deposited, Deposited(1))], 0)
            streams = await conn.client.jetstream().streams_info()
            assert kit.name not in [info.config.name for info in streams]
