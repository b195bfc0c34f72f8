"""Small helpers shared by the tests."""

from __future__ import annotations

from dataclasses import dataclass

import walnats
from walnats.testing import unique_name


@dataclass(frozen=True)
class Order:
    id: int
    item: str = "book"


def order_event(**kwargs: object) -> walnats.Event[Order]:
    """A fresh event with a unique name, so tests never share a stream."""
    return walnats.Event(unique_name("order"), Order, **kwargs)  # type: ignore[arg-type]


def actor_name() -> str:
    return unique_name("actor")
