"""What every run gets: the server, fresh names, streams and consumers made alike."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError
from nats.nuid import NUID

import walnats
from walnats.testing import NatsServer

from ._meter import Meter
from ._options import Options
from ._payload import OrderPlaced, orders

__all__ = ["MSG_ID", "Bench", "BenchmarkError", "consumer_config", "pipelined_publish", "sink"]

MSG_ID = "Nats-Msg-Id"
_FILL_WINDOW = 4_000
"""PubAcks in flight while filling a stream (as ``publish_async_max_pending``)."""


class BenchmarkError(Exception):
    """A run did not do what it claims (e.g. fewer events stored than emitted)."""


def sink(order: OrderPlaced) -> None:
    """What every handler, walnats or raw, does with a decoded event: touch a field."""
    if order.quantity < 0:  # never true; keeps the access from being optimised away
        raise AssertionError(order)


class Bench:
    """The shared fixture of all scenarios: one nats-server and its helpers.

    Both sides of a comparison get their streams and consumers from the same walnats
    declarations (outside the timed part), so stream and consumer configuration are
    identical by construction; only the timed code differs.
    """

    def __init__(self, server: NatsServer, options: Options) -> None:
        self.server = server
        self.options = options
        self._names = itertools.count(1)
        self._prefix = f"bench{os.getpid()}"
        self._admin: Client | None = None
        self.on_start: Callable[[], None] | None = None
        self.on_stop: Callable[[], None] | None = None
        """Called where every measured part starts and stops (see ``--profile``)."""

    async def open(self) -> None:
        """Connect the admin connection that creates, fills and deletes streams."""
        self._admin = await self.connect()

    async def close(self) -> None:
        """Close the admin connection."""
        if self._admin is not None:
            await self._admin.close()
            self._admin = None

    @property
    def admin(self) -> Client:
        """The connection for setup and checks; timed code never uses it."""
        if self._admin is None:
            raise RuntimeError("Bench.open() was not called")
        return self._admin

    @property
    def url(self) -> str:
        """The benchmark server's URL (never the system nats-server on 4222)."""
        return self.server.url

    @property
    def server_pid(self) -> int:
        """Process id of nats-server, for its CPU time."""
        proc = self.server._proc
        if proc is None:
            raise RuntimeError("the benchmark nats-server is not running")
        return proc.pid

    def meter(self) -> Meter:
        """A fresh meter for one run."""
        return Meter(self.server_pid, on_start=self.on_start, on_stop=self.on_stop)

    def name(self, kind: str) -> str:
        """A stream, subject or consumer name no other run uses."""
        return f"{self._prefix}-{kind}-{next(self._names)}"

    def event(self, kind: str) -> walnats.Event[OrderPlaced]:
        """A fresh event (hence a fresh stream) with the configured storage."""
        return walnats.Event(self.name(kind), OrderPlaced, storage=self.options.storage)

    async def connect(self) -> Client:
        """A plain nats-py connection, as the raw references use."""
        return await nats.connect(self.url, name="bench-raw", max_reconnect_attempts=0)

    @asynccontextmanager
    async def stream(
        self, kind: str, *, fill: int = 0
    ) -> AsyncIterator[walnats.Event[OrderPlaced]]:
        """A fresh event whose stream exists (holding *fill* orders) and is deleted after."""
        event = self.event(kind)
        await self.create_stream(self.admin, event)
        try:
            if fill:
                await self.fill(self.admin, event.name, fill)
            yield event
        finally:
            await self.delete_stream(self.admin, event)

    async def expect_stored(self, event: walnats.Event[Any], count: int) -> None:
        """Raise :class:`BenchmarkError` unless the stream of *event* holds *count* events."""
        info = await self.admin.jetstream().stream_info(event.stream_name)
        if info.state.messages != count:
            raise BenchmarkError(
                f"stream {event.stream_name} holds {info.state.messages} events, expected {count}"
            )

    async def expect_acked(self, event: walnats.Event[Any], consumer: str) -> None:
        """Raise :class:`BenchmarkError` unless *consumer* delivered and acked everything.

        Acks are fire-and-forget, so give the server a moment to apply the last ones.
        """
        js = self.admin.jetstream()
        for _ in range(100):
            info = await js.consumer_info(event.stream_name, consumer)
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return
            await asyncio.sleep(0.02)
        raise BenchmarkError(
            f"consumer {consumer}: {info.num_pending} events undelivered and "
            f"{info.num_ack_pending} unacknowledged after the run"
        )

    async def create_stream(self, nc: Client, event: walnats.Event[Any]) -> None:
        """Create the stream of *event* exactly as walnats' ``register()`` does."""
        async with walnats.Events(event).connect(nc, close=False) as conn:
            await conn.register()

    async def create_consumer(self, nc: Client, event: walnats.Event[Any], name: str) -> None:
        """A durable pull consumer configured exactly like a default ``walnats.Actor``."""
        await nc.jetstream().add_consumer(event.stream_name, consumer_config(event, name))

    async def delete_stream(self, nc: Client, event: walnats.Event[Any]) -> None:
        """Remove a run's stream so the server does not accumulate them."""
        with contextlib.suppress(NotFoundError):
            await nc.jetstream().delete_stream(event.stream_name)

    async def fill(self, nc: Client, subject: str, count: int, start: int = 0) -> None:
        """Store *count* orders on *subject*, each with a ``Nats-Msg-Id`` as walnats sends.

        Uses the fastest path (core publish, one reply subject, acks counted in a
        callback); it is setup, never timed.
        """
        if count <= 0:
            return
        encode = msgspec.json.Encoder().encode
        nuid = NUID()
        await pipelined_publish(
            nc,
            subject,
            ((encode(o), {MSG_ID: nuid.next().decode()}) for o in orders(count, start)),
            count,
        )


def consumer_config(event: walnats.Event[Any], name: str) -> ConsumerConfig:
    """The consumer configuration of a default ``walnats.Actor`` called *name*."""
    return walnats.Actor(name, event, _noop).consumer_config()


async def _noop(order: OrderPlaced) -> None:
    return None


async def pipelined_publish(
    nc: Client,
    subject: str,
    messages: Iterable[tuple[bytes, dict[str, str]]],
    count: int,
    window: int = _FILL_WINDOW,
    on_ack: Callable[[Msg], None] | None = None,
) -> None:
    """Core-publish *count* messages with one reply inbox; return once all are acked.

    This is the low-level reference for pipelined emits: no future, no task and no
    per-message reply subscription, just a counter in one callback. At most *window*
    acks are outstanding.
    """
    inbox = nc.new_inbox()
    acked = 0
    done = asyncio.Event()
    room = asyncio.Event()

    async def count_ack(msg: Msg) -> None:
        nonlocal acked
        acked += 1
        if on_ack is not None:
            on_ack(msg)
        if acked == count:
            done.set()
        room.set()

    sub = await nc.subscribe(inbox, cb=count_ack, pending_msgs_limit=-1, pending_bytes_limit=-1)
    publish = nc.publish
    try:
        for sent, (data, headers) in enumerate(messages, 1):
            await publish(subject, data, reply=inbox, headers=headers)
            while sent - acked >= window:
                room.clear()
                await room.wait()
        await done.wait()
    finally:
        await sub.unsubscribe()
