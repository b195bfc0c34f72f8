"""A projection worker process for the kill -9 tests.

Usage: rm_worker.py NATS_URL DB_URL EVENT PROJECTION [SCHEMA]

Runs the balances projection of EVENT until SIGTERM (graceful) or SIGKILL.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from rm_kit import balance_projection, deposit_event

import walnats
from projections._read import ProjectionRunner, open_database


async def main() -> None:
    url, db_url, event_name, name = sys.argv[1:5]
    options = {}
    if len(sys.argv) > 5:
        options["connect_args"] = {"server_settings": {"search_path": sys.argv[5]}}
    engine = open_database(db_url, **options)
    projection = balance_projection(deposit_event(event_name), name)
    async with walnats.Events().connect(url) as conn:
        runner = ProjectionRunner(projection, conn.client, engine, lease=5)
        task = asyncio.create_task(runner.run())
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        print("ready", flush=True)
        await asyncio.gather(task, return_exceptions=True)
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
