"""A small bank-account aggregate with unique names, shared by the event-sourcing tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

import msgspec

import projections
import walnats
from walnats.testing import unique_name


class Opened(msgspec.Struct, frozen=True):
    owner: str


class Deposited(msgspec.Struct, frozen=True):
    amount: int


class Account(msgspec.Struct, frozen=True):
    owner: str = ""
    balance: int = 0
    deposits: int = 0


def opened(state: Account, event: Opened) -> Account:
    return msgspec.structs.replace(state, owner=event.owner)


def deposited(state: Account, event: Deposited) -> Account:
    return msgspec.structs.replace(
        state, balance=state.balance + event.amount, deposits=state.deposits + 1
    )


@dataclass(frozen=True)
class Kit:
    """An account aggregate type with a unique name, and its events."""

    aggregate: projections.Aggregate[Account]
    opened: walnats.Event[Opened]
    deposited: walnats.Event[Deposited]

    @property
    def name(self) -> str:
        return self.aggregate.name


def account_kit(name: str | None = None, **options: Any) -> Kit:
    """A fresh account aggregate type: its own stream and snapshot bucket."""
    name = name or unique_name("acct")
    opened_event = walnats.Event("opened", Opened, aggregate=name)
    deposited_event = walnats.Event("deposited", Deposited, aggregate=name)
    aggregate = projections.Aggregate(
        name,
        state=Account,
        initial=Account(),
        apply=[projections.on(opened_event, opened), projections.on(deposited_event, deposited)],
        **options,
    )
    return Kit(aggregate, opened_event, deposited_event)


def deposit(kit: Kit, amount: int = 1, times: int = 1) -> projections.Command[Account]:
    """A command depositing *amount* *times* (one event each)."""

    def command(state: Account) -> list[projections.NewEvent]:
        return [projections.new(kit.deposited, Deposited(amount)) for _ in range(times)]

    return command


@asynccontextmanager
async def open_store(nats_url: str, kit: Kit) -> AsyncIterator[projections.EventStore[Account]]:
    """The registered store of *kit*; the stream and bucket are deleted afterwards."""
    async with kit.aggregate.connect(nats_url) as store:
        try:
            yield store
        finally:
            js = store.client.jetstream()
            for stream in (kit.name, f"KV_{kit.aggregate.bucket}"):
                with suppress(Exception):
                    await js.delete_stream(stream)


async def subject_count(store: projections.EventStore[Any], aggregate_id: str) -> int:
    """How many messages the stream holds for one aggregate."""
    info = await store.client.jetstream().stream_info(
        store.aggregate.name, subjects_filter=store.aggregate.subjects_of(aggregate_id)
    )
    return sum((info.state.subjects or {}).values())


async def stream_messages(store: projections.EventStore[Any]) -> int:
    """How many messages the aggregate's stream holds in total."""
    info = await store.client.jetstream().stream_info(store.aggregate.name)
    return int(info.state.messages)
