"""The example shop's order aggregate: its rules, and its demo end to end."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parents[2]


@pytest.fixture
def orders(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(ROOT))
    return importlib.import_module("examples.shop.orders")


def test_orders__lifecycle_rules(orders: ModuleType) -> None:
    """place -> add item -> pay -> ship, each refused out of order."""
    order, fold = orders.Order(), orders.ORDER.fold
    with pytest.raises(orders.OrderRejected, match="open order"):
        orders.add_item(order, "x", 1, 100)
    order = fold(orders.place(order, "ada", "ada@example.com", (orders.Line("x", 2, 100),)), order)
    assert (order.status, order.total_cents) == ("open", 200)
    with pytest.raises(orders.OrderRejected, match="already placed"):
        orders.place(order, "ada", "ada@example.com")
    with pytest.raises(orders.OrderRejected, match="costs 200 cents, not 100"):
        orders.pay(order, 100)
    with pytest.raises(orders.OrderRejected, match="only a paid order"):
        orders.ship(order, "walrus-post", "WP-1")
    order = fold(orders.pay(order, 200), order)
    shipped = fold(orders.ship(order, "walrus-post", "WP-1"), order)
    assert (shipped.status, shipped.tracking) == ("shipped", "WP-1")
    assert orders.cancel(shipped, "too late") == []
    refunded = orders.cancel(order, "changed my mind")
    assert refunded[0].payload == orders.OrderCancelled("changed my mind", 200)


def test_orders__registers_in_services(orders: ModuleType) -> None:
    """The shop registers the aggregate; its events join the plain ones without clashing."""
    import walnats

    shop = importlib.import_module("examples.shop")
    services: walnats.Services = shop.services
    assert orders.ORDER in services.owned()
    names = {event.name for event in services.events()}
    assert {"order-created", "order-paid", "order-placed"} <= names


@pytest.mark.slow
def test_orders__demo_runs() -> None:
    """The demo shows a command, a handled conflict and snapshots."""
    result = subprocess.run(
        [sys.executable, "-m", "examples.shop.orders"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "one lost: ConcurrencyError (expected 3, actual 4)" in out
    assert "both items are in: 4 lines, version 5" in out
    assert "duplicate=True" in out
    assert "from its snapshot at version 100, reading only 21 events" in out
    assert "reading 0 events" in out
