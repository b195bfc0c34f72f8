"""The read-your-writes contract the projection runner will implement."""

from __future__ import annotations

import asyncio

import pytest
from es_helpers import account_kit, deposit, open_store

import projections
import walnats


class FakeProjection:
    """Applies positions when told to; waits like a runner would."""

    def __init__(self) -> None:
        self.name = "account-summary"
        self.checkpoints: dict[str, int] = {}
        self._moved = asyncio.Event()

    def advance(self, stream: str, sequence: int) -> None:
        self.checkpoints[stream] = sequence
        self._moved.set()

    async def wait_for(self, stream: str, sequence: int, *, timeout: float) -> bool:
        if self.checkpoints.get(stream, 0) >= sequence:
            return True

        async def reached() -> None:
            while self.checkpoints.get(stream, 0) < sequence:
                self._moved.clear()
                await self._moved.wait()

        try:
            await asyncio.wait_for(reached(), timeout)
        except TimeoutError:
            return False
        return True


async def test_read_your_writes__waits_for_the_saved_sequence(nats_url: str) -> None:
    """The helper returns once the projection reached the save's sequence."""
    kit = account_kit()
    projection = FakeProjection()
    assert isinstance(projection, projections.SupportsWaitFor)
    async with open_store(nats_url, kit) as store:
        done = await store.execute("a-1", deposit(kit))
        assert done.saved is not None
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, projection.advance, kit.name, done.sequence)
        assert await projections.wait_for_projection(projection, done, timeout=2)
        assert await projections.wait_for_projection(projection, done.saved, timeout=0)
        nothing = await store.execute("a-1", lambda s: [])
        assert await projections.wait_for_projection(projection, nothing, timeout=0)


async def test_read_your_writes__timeout_is_the_callers_choice() -> None:
    """On timeout: ProjectionLagging by default, False with on_timeout='stale'."""
    projection = FakeProjection()
    message = r"projection 'account-summary' did not reach orders sequence 7 within 0\.01s"
    with pytest.raises(projections.ProjectionLagging, match=message) as info:
        await projections.wait_for_projection(projection, ("orders", 7), timeout=0.01)
    assert isinstance(info.value, TimeoutError)
    stale = await projections.wait_for_projection(
        projection, ("orders", 7), timeout=0.01, on_timeout="stale"
    )
    assert stale is False
    assert await projections.wait_for_projection(projection, ("orders", 0))
    with pytest.raises(walnats.ConfigError, match="on_timeout must be"):
        await projections.wait_for_projection(projection, ("orders", 1), on_timeout="never")  # type: ignore[arg-type]
