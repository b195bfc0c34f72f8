"""Declarations reject invalid names and configuration with clear messages."""

from __future__ import annotations

import pytest

import walnats
from tests.helpers import Order


async def handler(order: Order) -> None:
    pass


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", r"^event name must not be empty$"),
        ("OrderPlaced", r"^event name 'OrderPlaced' is not kebab-case; use 'order-placed'$"),
        ("order.placed", r"contains whitespace or one of \. \* > / \\ which NATS reserves"),
        ("order placed", r"which NATS reserves; use 'order-placed'"),
        ("x" * 65, r"is 65 characters long; the limit is 64"),
    ],
)
def test_event__invalid_name(name: str, message: str) -> None:
    """Bad event names are rejected with a suggestion."""
    with pytest.raises(walnats.ConfigError, match=message):
        walnats.Event(name, Order)


def test_event__unsupported_schema() -> None:
    """A schema no serializer handles fails at declaration, not at the first emit."""

    class Plain:
        pass

    with pytest.raises(walnats.ConfigError, match="cannot serialize"):
        walnats.Event("plain", Plain)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"replicas": 0}, r"replicas must be 1 to 5, got 0"),
        ({"storage": "disk"}, r"storage must be 'file' or 'memory', got 'disk'"),
        ({"duplicate_window": 0}, r"duplicate_window must be > 0 seconds"),
        ({"description": " "}, r"description must not be empty; omit it instead"),
    ],
)
def test_event__invalid_options(kwargs: dict[str, object], message: str) -> None:
    """Invalid stream options are rejected with the offending value."""
    with pytest.raises(walnats.ConfigError, match=message):
        walnats.Event("order-placed", Order, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"age": -1}, r"^Limits.age must be > 0 or None, got -1$"),
        ({"age": 1e12}, r"age is in seconds, not milliseconds"),
        ({"messages": "10"}, r"^Limits.messages must be a number or None, got '10'$"),
    ],
)
def test_limits__invalid(kwargs: dict[str, object], message: str) -> None:
    """Limits validate units and signs."""
    with pytest.raises(walnats.ConfigError, match=message):
        walnats.Limits(**kwargs)  # type: ignore[arg-type]


def test_actor__invalid() -> None:
    """Actors validate names, numbers and handler shapes."""
    event = walnats.Event("order-placed", Order)
    with pytest.raises(walnats.ConfigError, match=r"actor name 'Send_Email' is not kebab-case"):
        walnats.Actor("Send_Email", event, handler)
    with pytest.raises(walnats.ConfigError, match=r"max_jobs must be an int >= 1"):
        walnats.Actor("send-email", event, handler, max_jobs=0)
    with pytest.raises(walnats.ConfigError, match=r"max_attempts must be >= 1, got 0"):
        walnats.Actor("send-email", event, handler, max_attempts=0)
    with pytest.raises(walnats.ConfigError, match=r"must take the payload and optionally"):
        walnats.Actor("send-email", event, lambda a, b, c: None)  # type: ignore[arg-type]
    with pytest.raises(walnats.ConfigError, match=r"an async handler runs in the event loop"):
        walnats.Actor("send-email", event, handler, execute_in=walnats.ExecuteIn.THREAD)


def test_registries__duplicates() -> None:
    """Two different declarations under one name are rejected."""
    a = walnats.Event("order-placed", Order)
    b = walnats.Event("order-placed", int)
    with pytest.raises(walnats.ConfigError, match=r"two different events are named 'order-placed'"):
        walnats.Events(a, b)
    actor = walnats.Actor("x", a, handler)
    other = walnats.Actor("x", a, handler, max_jobs=2)
    with pytest.raises(walnats.ConfigError, match=r"two different actors are named 'x'"):
        walnats.Actors(actor, other)
    services = walnats.Services().add("orders", emits=[a])
    with pytest.raises(
        walnats.ConfigError, match=r"a service named 'orders' is already registered"
    ):
        services.add("orders")


def test_retry_policy__schedule() -> None:
    """The first delay is the configured one (no off-by-one); explicit lists repeat the last."""
    policy = walnats.RetryPolicy(max_attempts=5, initial=1, multiplier=2, maximum=5, jitter=0)
    assert policy.schedule() == [1, 2, 4, 5]
    explicit = walnats.RetryPolicy(max_attempts=4, delays=(0.5, 1))
    assert explicit.schedule() == [0.5, 1, 1]
    assert walnats.Actor(
        "a", walnats.Event("e", int), handler, retry_delay=(3, 4)
    ).policy.delays == (3, 4)


def test_consumer_config__follows_policy() -> None:
    """max_deliver equals max_attempts and backoff is ack_wait plus each delay."""
    actor = walnats.Actor(
        "a",
        walnats.Event("e", int),
        handler,
        ack_wait=10,
        retry=walnats.RetryPolicy(max_attempts=3, delays=(1, 2)),
    )
    config = actor.consumer_config()
    assert config.max_deliver == 3
    assert config.backoff == [11, 12]
    assert config.durable_name == "a"
    assert config.filter_subject == "e"


def test_services__collects_events_and_actors() -> None:
    """Services knows every event emitted or handled and every actor."""
    placed = walnats.Event("order-placed", Order)
    paid = walnats.Event("order-paid", Order)
    services = walnats.Services()
    services.add("orders", emits=walnats.Events(placed, paid))
    services.add("mail", defines=[walnats.Actor("send-email", placed, handler)])
    assert {e.name for e in services.events()} == {"order-placed", "order-paid"}
    assert [a.name for a in services.actors()] == ["send-email"]
