"""Clock: epoch-aligned periodic events, emitted once per tick by any number of clocks."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

import walnats
from walnats import Clock, _clock
from walnats._clock import tick_start
from walnats.testing import unique_name


def tick_event(**kwargs: Any) -> walnats.Event[datetime]:
    return walnats.Event(unique_name("tick"), datetime, **kwargs)


async def stored(conn: walnats.ConnectedEvents, event: walnats.Event[Any]) -> list[Any]:
    """Every message in the event's stream, in order: (Nats-Msg-Id, payload)."""
    info = await conn.jetstream.stream_info(event.stream_name)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        raw = await conn.jetstream.get_msg(event.stream_name, seq)
        assert raw.data is not None
        found.append(((raw.headers or {}).get("Nats-Msg-Id"), event.decode(raw.data)))
    return found


# ---------------------------------------------------------------- declaration


def test_tick_start__aligned_to_the_epoch() -> None:
    """A tick starts at the largest multiple of the period not after now."""
    assert tick_start(1_700_000_059.999, 60) == 1_700_000_040
    assert tick_start(1_700_000_040.0, 60) == 1_700_000_040
    assert tick_start(1_700_003_599.0, 3600) == 1_700_002_800
    assert tick_start(5.5, 1) == 5


def test_clock__defaults() -> None:
    """The default clock ticks "minute-passed" every 60 s and is named after its event."""
    clock = Clock()
    assert clock.event.name == "minute-passed"
    assert clock.event.schema is datetime
    assert clock.period == 60
    assert clock.name == "clock-minute-passed"
    assert clock.events == (clock.event,)
    assert clock.uid(1_700_000_040) == "minute-passed.1700000040"


def test_clock__services_see_its_event() -> None:
    """A clock in Services.add(owns=...) contributes its event to Services.events()."""
    clock = Clock(tick_event(), period=3600, name="hourly", description="Hourly cleanup.")
    services = walnats.Services().add("cron", owns=[clock])
    assert [e.name for e in services.events()] == [clock.event.name]
    assert services.owned() == [clock]


@pytest.mark.parametrize("period", [0, 0.5, 1.5, -60, True, "60"])
def test_clock__period_must_be_whole_seconds(period: Any) -> None:
    """Periods below a second or with a fraction are refused: tick ids are Unix seconds."""
    with pytest.raises(
        walnats.ConfigError,
        match=rf"^clock 'clock-minute-passed': period must be a whole number of seconds >= 1, "
        rf"got {period!r}$",
    ):
        Clock(period=period)


def test_clock__float_period_with_no_fraction_is_fine() -> None:
    """60.0 is a whole number of seconds."""
    assert Clock(period=60.0).uid(tick_start(1_700_000_000, 60)) == "minute-passed.1699999980"


def test_clock__duplicate_window_must_cover_clock_skew() -> None:
    """An event whose duplicate window is too short to merge clocks' ticks is refused."""
    event = walnats.Event("tick", datetime, duplicate_window=2)
    with pytest.raises(
        walnats.ConfigError,
        match=r"^clock 'clock-tick': event 'tick' has a duplicate_window of 2s; clocks in "
        r"several processes need at least 10s",
    ):
        Clock(event)


def test_clock__name_is_checked() -> None:
    """The name follows the kebab-case rule of every walnats name."""
    with pytest.raises(walnats.ConfigError, match=r"^clock name 'Nightly Job' contains"):
        Clock(name="Nightly Job")


# ---------------------------------------------------------------- virtual time


class Stop(BaseException):
    """Ends a virtual-time run (run() swallows Exception, not BaseException)."""


class FakeConn:
    """Records emits; optionally fails some and moves virtual time."""

    def __init__(
        self, now: VirtualTime, stop_after: int, fail: set[int] | None = None, lag: float = 0.0
    ) -> None:
        self.now = now
        self.ticks: list[tuple[str, datetime, float]] = []
        self.stop_after = stop_after
        self.fail = fail or set()
        self.lag = lag

    async def emit(self, event: Any, message: datetime, *, uid: str, meta: Any) -> Any:
        self.now.now += self.lag
        self.ticks.append((uid, message, self.now.now))
        count = len(self.ticks)
        if count >= self.stop_after:
            raise Stop
        if count in self.fail:
            raise walnats.EmitError("server gone")
        return walnats.Emitted(event.name, count, uid)


class VirtualTime:
    """time.time() and asyncio.sleep() on a clock the test controls."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.oversleep: dict[int, float] = {}
        self.sleeps = 0

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds + self.oversleep.get(self.sleeps, 0.0)
        await asyncio.sleep(0)


@pytest.fixture
def vt(monkeypatch: pytest.MonkeyPatch) -> VirtualTime:
    """Virtual time for walnats._clock only."""
    clock = VirtualTime(1_700_000_000.25)
    monkeypatch.setattr(_clock, "time", SimpleNamespace(time=clock.time))
    monkeypatch.setattr(_clock, "asyncio", SimpleNamespace(sleep=clock.sleep))
    return clock


async def run_until_stopped(clock: Clock, conn: FakeConn) -> None:
    with pytest.raises(Stop):
        await clock.run(conn)  # type: ignore[arg-type]


async def test_run__ticks_on_boundaries_without_drift(vt: VirtualTime) -> None:
    """The current tick is emitted at start, then one per boundary, despite slow emits."""
    conn = FakeConn(vt, stop_after=4, lag=0.7)
    await run_until_stopped(Clock(period=10), conn)
    start = 1_700_000_000
    assert [uid for uid, _, _ in conn.ticks] == [
        f"minute-passed.{start + 10 * k}" for k in range(4)
    ]
    assert [payload for _, payload, _ in conn.ticks] == [
        datetime.fromtimestamp(start + 10 * k, tz=UTC) for k in range(4)
    ]
    # each emit starts right at its boundary: lag does not accumulate
    assert [round(at - start, 2) for _, _, at in conn.ticks] == [0.95, 10.7, 20.7, 30.7]


async def test_run__old_current_tick_is_skipped_at_start(vt: VirtualTime) -> None:
    """A tick whose boundary passed half a duplicate window ago is not emitted late."""
    vt.now = 1_700_000_061.0  # 22:14:21 UTC: the current hour began 861 s ago
    clock = Clock(tick_event(), period=3600)
    conn = FakeConn(vt, stop_after=1)
    await run_until_stopped(clock, conn)
    (_, payload, at) = conn.ticks[0]
    assert payload == datetime(2023, 11, 14, 23, 0, tzinfo=UTC)
    assert at == payload.timestamp()


async def test_run__overslept_tick_is_skipped_with_a_warning(
    vt: VirtualTime, caplog: pytest.LogCaptureFixture
) -> None:
    """After a suspension long past a boundary, that tick is skipped and the next emitted."""
    vt.oversleep[1] = 100.0  # the first sleep (to the next boundary) wakes 100 s late
    vt.now = 1_700_003_000.0  # 23:03:20 UTC: too late for 23:00, so wait for 00:00
    clock = Clock(tick_event(), period=3600, name="hourly")
    conn = FakeConn(vt, stop_after=1)
    with caplog.at_level(logging.WARNING, logger="walnats"):
        await run_until_stopped(clock, conn)
    (_, payload, _) = conn.ticks[0]
    assert payload == datetime(2023, 11, 15, 1, 0, tzinfo=UTC)  # 00:00 was skipped
    (record,) = caplog.records
    assert record.getMessage() == (
        "clock hourly: skipped tick 1700006400: it is 100s late, and emitting it could "
        "store it twice (half the duplicate window is 60s)"
    )


async def test_run__emit_errors_are_logged_and_ticking_goes_on(
    vt: VirtualTime, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed emit is logged and the next tick is emitted on time."""
    clock = Clock(period=5)
    conn = FakeConn(vt, stop_after=3, fail={1, 2})
    with caplog.at_level(logging.ERROR, logger="walnats"):
        await run_until_stopped(clock, conn)
    assert [uid for uid, _, _ in conn.ticks] == [
        "minute-passed.1700000000",
        "minute-passed.1700000005",
        "minute-passed.1700000010",
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "clock clock-minute-passed: tick 1700000000 was not emitted: server gone",
        "clock clock-minute-passed: tick 1700000005 was not emitted: server gone",
    ]


async def test_run__unexpected_errors_do_not_stop_the_clock(
    vt: VirtualTime, caplog: pytest.LogCaptureFixture
) -> None:
    """Even a non-walnats exception from the emit is logged with its traceback, not raised."""

    class Broken(FakeConn):
        async def emit(self, event: Any, message: datetime, *, uid: str, meta: Any) -> Any:
            await super().emit(event, message, uid=uid, meta=meta)
            raise RuntimeError("bug")

    conn = Broken(vt, stop_after=2)
    with caplog.at_level(logging.ERROR, logger="walnats"):
        await run_until_stopped(Clock(period=5), conn)
    (record,) = caplog.records
    assert record.exc_info is not None
    assert record.getMessage() == "clock clock-minute-passed: tick 1700000000 was not emitted"


# ---------------------------------------------------------------- real server


async def test_run__two_clocks_store_each_tick_once(nats_url: str) -> None:
    """Two clocks on two connections for ~2.5 s store every 1 s tick exactly once."""
    event = tick_event()
    clock = Clock(event, period=1, meta={"Origin": "test"})
    events = walnats.Events(event)
    async with events.connect(nats_url) as first, events.connect(nats_url) as second:
        await first.register()
        tasks = [asyncio.create_task(clock.run(c)) for c in (first, second)]
        await asyncio.sleep(2.5)
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        found = await stored(first, event)
    assert 3 <= len(found) <= 4
    payloads = [payload for _, payload in found]
    start = int(payloads[0].timestamp())
    assert payloads == [datetime.fromtimestamp(start + k, tz=UTC) for k in range(len(found))]
    assert all(p.tzinfo is UTC and p.microsecond == 0 for p in payloads)
    assert [uid for uid, _ in found] == [f"{event.name}.{start + k}" for k in range(len(found))]


async def test_run__burst_emits_the_current_tick_once(nats_url: str) -> None:
    """burst=True emits the current tick and returns; a second burst is a duplicate."""
    event = tick_event()
    clock = Clock(event, period=86400)
    async with walnats.Events(event).connect(nats_url) as conn:
        await conn.register()
        await clock.run(conn, burst=True)
        await clock.run(conn, burst=True)
        found = await stored(conn, event)
    ((uid, payload),) = found
    now = datetime.now(tz=UTC)
    assert payload == now.replace(hour=0, minute=0, second=0, microsecond=0)
    assert payload.tzinfo is UTC
    assert uid == f"{event.name}.{int(payload.timestamp())}"


async def test_run__burst_raises_emit_errors(nats_url: str) -> None:
    """In burst mode a tick that cannot be stored is an error, e.g. for a cron job's exit code."""
    event = tick_event()
    async with walnats.Events(event).connect(nats_url) as conn:
        with pytest.raises(walnats.StreamNotFound):
            await Clock(event).run(conn, burst=True)


async def test_run__missing_stream_is_logged_and_the_clock_goes_on(
    nats_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Without a stream every tick logs an error; the clock keeps running until cancelled."""
    event = tick_event()
    clock = Clock(event, period=1)
    async with walnats.Events(event).connect(nats_url) as conn:
        with caplog.at_level(logging.ERROR, logger="walnats"):
            task = asyncio.create_task(clock.run(conn))
            await asyncio.sleep(1.2)
            assert not task.done()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    messages = [r.getMessage() for r in caplog.records if r.name == "walnats"]
    assert len(messages) >= 2
    assert all(m.startswith(f"clock clock-{event.name}: tick ") for m in messages)
    assert all("no stream stores subject" in m for m in messages)
