"""Checking a stream before reading it, and merging batches from several streams."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from nats.js.errors import NotFoundError

import walnats

from ._core import dead_letter_spec, stream_spec
from ._errors import CheckpointAhead

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js import JetStreamContext

    from ._delivery import Delivery
    from ._feed import StreamFeed
    from ._projection import Projection

__all__ = ["check_stream", "take_batch"]

logger = logging.getLogger("walnats.projections")


async def check_stream(
    nc: Client, projection: Projection, stream: str, checkpoint: int, label: str
) -> None:
    """Make sure *stream* can be read from ``checkpoint + 1``.

    A plain event's missing stream is created from the shared declaration (as actors
    do); an aggregate's must be registered by its event store. The dead-letter stream
    is created for ``on_poison="skip"``. Existing streams are never changed.

    Raises:
        walnats.StreamNotFound: the aggregate's stream does not exist yet.
        CheckpointAhead: the checkpoint is past the end of the stream.
    """
    js = nc.jetstream()
    if projection.on_poison == "skip":
        await _create_if_missing(js, dead_letter_spec())
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        if projection.router(stream).aggregate is not None:
            raise walnats.StreamNotFound(
                f"projection {projection.name!r}: stream {stream!r} does not exist yet; "
                f"register the aggregate first (`await store.register()`)"
            ) from None
        event = next(e for e in projection.events if e.stream_name == stream)
        await _create_if_missing(js, stream_spec(nc, event))
        info = await js.stream_info(stream)
    last = int(info.state.last_seq or 0)
    if checkpoint > last:
        raise CheckpointAhead(projection.name, stream, checkpoint, last)
    first = int(info.state.first_seq or 0)
    if checkpoint + 1 < first and last:
        logger.warning(
            "projection %s: %s sequences %d to %d are no longer in the stream (limits); "
            "the read model goes on without them",
            label,
            stream,
            checkpoint + 1,
            first - 1,
        )


async def _create_if_missing(js: JetStreamContext, spec: walnats.StreamSpec) -> None:
    """Create a stream that does not exist; never compare or change an existing one."""
    try:
        await js.stream_info(spec.name)
    except NotFoundError:
        await walnats.ensure_stream(js, spec, update=False)


def take_batch(feeds: list[StreamFeed], size: int) -> list[Delivery]:
    """Up to *size* buffered messages; from several streams, oldest first.

    Streams have no common order; taking the oldest head by server timestamp makes a
    replay apply events in the order a live run most likely saw them.
    """
    batch: list[Delivery] = []
    if len(feeds) == 1:
        feed = feeds[0]
        while feed.buffer and len(batch) < size:
            batch.append(feed.take())
        return batch
    while len(batch) < size:
        heads = [f for f in feeds if f.buffer]
        if not heads:
            break
        batch.append(min(heads, key=lambda f: f.buffer[0].ts).take())
    return batch
