"""A worker process for fault tests: handles an event and records each handled id.

Usage: worker.py URL EVENT ACTOR OUTPUT [SLEEP]

Each handled order id is appended to OUTPUT (one line, flushed) before the handler
returns, i.e. before the acknowledgement. SIGTERM stops the worker gracefully.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass

import walnats


@dataclass(frozen=True)
class Order:
    id: int
    item: str = "book"


async def main() -> None:
    url, event_name, actor_name, output = sys.argv[1:5]
    pause = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    event = walnats.Event(event_name, Order)
    fd = os.open(output, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def handle(order: Order) -> None:
        if pause:
            await asyncio.sleep(pause)
        os.write(fd, f"{order.id}\n".encode())

    actor = walnats.Actor(actor_name, event, handle, ack_wait=2, max_jobs=32)
    async with walnats.Actors(actor).connect(url) as conn:
        await conn.register()
        task = asyncio.create_task(conn.listen(stop_timeout=30))
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        print("ready", flush=True)
        await asyncio.gather(task, return_exceptions=True)
    os.close(fd)


if __name__ == "__main__":
    asyncio.run(main())
