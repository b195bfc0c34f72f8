"""After a failed batch: apply its events one per transaction to find the poison one.

Each event gets the projection's retry policy (attempts, delays, ``walnats.Reject``
and ``walnats.Retry`` as for actors); the events before the poison one commit as
usual. A poison event is then either dead-lettered and skipped (``on_poison="skip"``)
or stops the projection (``on_poison="stop"``). Database faults do not count as
attempts: they are retried until the database is back.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import walnats

from . import _checkpoints as checkpoints
from ._core import dead_letter_headers, publish_dead_letter
from ._database import blames_database
from ._errors import ClaimLost, ProjectionStopped
from ._status import record_stop
from ._steps import Step

if TYPE_CHECKING:
    from ._worker import PartitionWorker

__all__ = ["apply_batch", "database_down", "isolate"]

logger = logging.getLogger("walnats.projections")

_DEAD_LETTER_RETRY = 5.0


async def apply_batch(worker: PartitionWorker, steps: list[Step]) -> None:
    """Commit *steps* as one batch, retrying database failures; isolate handler failures.

    Raises:
        ProjectionStopped, ClaimLost, CheckpointMoved: see :func:`isolate`.
    """
    failures = 0
    while not any(step.error is not None for step in steps):
        try:
            await worker.commit(steps)
            return
        except (ClaimLost, checkpoints.CheckpointMoved):
            raise
        except Exception as exc:  # noqa: BLE001 - a handler failure: isolated below
            if not blames_database(exc):
                break
            failures += 1
            await database_down(worker, exc, failures)
            if worker.is_stopping():
                return  # uncommitted and unacknowledged: read again after a restart
    await isolate(worker, steps)


async def database_down(worker: PartitionWorker, exc: BaseException, failures: int) -> None:
    """Log, wait (0.1 s doubling, at most 10 s), and make the next commit verify first."""
    delay = min(0.1 * 2 ** (failures - 1), 10.0)
    logger.warning(
        "projection %s: the database failed (%s: %s); retrying the batch in %.1fs (attempt %d)",
        worker.name,
        type(exc).__name__,
        exc,
        delay,
        failures,
    )
    worker.verify_next = True
    await worker.pause(delay)


async def isolate(worker: PartitionWorker, steps: list[Step]) -> None:
    """Commit *steps* one by one with retries; poison events per ``on_poison``.

    Raises:
        ProjectionStopped: a poison event and ``on_poison="stop"``.
        ClaimLost, CheckpointMoved: as for any commit.
    """
    policy = worker.projection.retry
    for step in steps:
        if worker.is_stopping():
            return  # the rest is uncommitted and unacknowledged: read again after a restart
        delivery = step.delivery
        if delivery.sequence <= worker.checkpoints[delivery.stream]:
            continue
        attempt = 1
        failures = 0
        while (exc := await _attempt(worker, step)) is not None:
            if worker.is_stopping():
                return
            if step.error is None and blames_database(exc):
                failures += 1
                await database_down(worker, exc, failures)
                continue
            if policy.gives_up(attempt, exc):
                await _poison(worker, step, exc, attempt)
                break
            delay = exc.delay if isinstance(exc, walnats.Retry) else None
            delay = policy.delay(attempt) if delay is None else delay
            logger.warning(
                "projection %s: attempt %d/%d of %s sequence %d (%s) failed (%s: %s); "
                "retrying in %.2fs",
                worker.name,
                attempt,
                policy.max_attempts,
                delivery.stream,
                delivery.sequence,
                step.name,
                type(exc).__name__,
                exc,
                delay,
            )
            await _sleep(worker, delay)
            attempt += 1


async def _attempt(worker: PartitionWorker, step: Step) -> BaseException | None:
    """Commit *step* alone; returns what went wrong, or ``None`` once it committed."""
    if step.error is not None:
        return step.error
    try:
        await worker.commit([step])
    except (ClaimLost, checkpoints.CheckpointMoved):
        raise
    except Exception as exc:  # noqa: BLE001 - the caller retries or dead-letters it
        return exc
    return None


async def _sleep(worker: PartitionWorker, delay: float) -> None:
    """Sleep *delay* seconds, renewing the claim on the way (long retry delays)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + delay
    step = max(worker.lease / 3, 0.05)
    while (left := until - loop.time()) > 0 and not worker.is_stopping():
        await worker.pause(min(left, step))
        if until - loop.time() > 0 and not worker.is_stopping():
            await worker.renew()


async def _poison(worker: PartitionWorker, step: Step, exc: BaseException, attempts: int) -> None:
    projection = worker.projection
    delivery = step.delivery
    error = f"{type(exc).__name__}: {exc}"
    if projection.on_poison == "stop":
        logger.error(
            "projection %s: STOPPED at %s sequence %d (%s) after %d attempt(s): %s. The "
            "checkpoint stays before it; fix the handler and restart.",
            worker.name,
            delivery.stream,
            delivery.sequence,
            delivery.subject,
            attempts,
            error,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        await record_stop(worker.db, projection, error)
        raise ProjectionStopped(
            projection.name, delivery.stream, delivery.sequence, delivery.subject, error
        ) from exc
    decodable = not isinstance(exc, walnats.DecodeError | walnats.CloudEventError)
    reason = (
        "undecodable"
        if not decodable
        else "exhausted"
        if attempts >= projection.retry.max_attempts
        else "rejected"
    )
    headers = dead_letter_headers(
        delivery.headers,
        actor=projection.base_name,
        event=step.name,
        subject=delivery.subject,
        stream=delivery.stream,
        sequence=delivery.sequence,
        attempts=attempts,
        reason=reason,
        error=exc,
    )
    while True:  # never skip an event that is not safely in the dead letters
        if worker.is_stopping():
            return
        try:
            await publish_dead_letter(worker.nc, projection.base_name, delivery.data, headers)
            break
        except Exception as dl_exc:  # noqa: BLE001 - logged, retried
            logger.error(
                "projection %s: cannot store %s sequence %d in the dead letters (%s); "
                "retrying in %.0fs",
                worker.name,
                delivery.stream,
                delivery.sequence,
                dl_exc,
                _DEAD_LETTER_RETRY,
            )
            await _sleep(worker, _DEAD_LETTER_RETRY)
    skipped = Step(delivery, name=step.name)
    failures = 0
    while True:
        try:
            await worker.commit([skipped])
            break
        except Exception as commit_exc:
            if not blames_database(commit_exc):
                raise
            failures += 1
            await database_down(worker, commit_exc, failures)
            if worker.is_stopping():
                return  # dead-lettered (once: its message id is deterministic) but not skipped
    logger.error(
        "projection %s: SKIPPED %s sequence %d (%s, event id %s) after %d attempt(s): %s. "
        "It is in the dead letters: `walnats dlq list %s`, re-drive with `walnats dlq retry`.",
        worker.name,
        delivery.stream,
        delivery.sequence,
        delivery.subject,
        headers.get("Walnats-Original-Msg-Id", "-"),
        attempts,
        error,
        projection.base_name,
        exc_info=(type(exc), exc, exc.__traceback__) if reason == "exhausted" else None,
    )
