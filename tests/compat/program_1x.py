"""A program in the shape of the walnats 1.x README, unchanged.

Run as a script with NATS_URL set; prints what the actors received.
"""

import asyncio
import sys
from dataclasses import dataclass

import walnats


@dataclass
class User:
    id: int
    name: str


USER_REGISTERED = walnats.Event(
    name=sys.argv[1],
    schema=User,
    description="A new user is registered",
    limits=walnats.Limits(age=60 * 60 * 24),
)

received = []


def send_email(user: User) -> None:
    received.append(("email", user.name))


async def send_sms(user: User) -> None:
    received.append(("sms", user.name))


SEND_EMAIL = walnats.Actor(
    sys.argv[1] + "-send-email",
    USER_REGISTERED,
    send_email,
    max_attempts=5,
    retry_delay=(1, 2, 4),
    max_jobs=4,
)
SEND_SMS = walnats.Actor(sys.argv[1] + "-send-sms", USER_REGISTERED, send_sms)


async def run_publisher() -> None:
    events = walnats.Events(USER_REGISTERED)
    async with events.connect() as conn:
        await conn.register()
        await conn.emit(USER_REGISTERED, User(id=1, name="alice"))
        await conn.emit(USER_REGISTERED, User(id=2, name="bob"), uid="user-2")


async def run_actors() -> None:
    actors = walnats.Actors(SEND_EMAIL, SEND_SMS)
    async with actors.connect() as conn:
        await conn.register()
        await conn.listen(burst=True, max_jobs=8)


async def main() -> None:
    await run_publisher()
    await run_actors()
    print(sorted(received))


if __name__ == "__main__":
    asyncio.run(main())
