"""The public surface is exactly what __all__ says."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "module", ["walnats", "walnats.middlewares", "walnats.plumbing", "projections", "tooling"]
)
def test_exports__all_matches_public_names(module: str) -> None:
    """Every public attribute is in __all__ and every __all__ name exists."""
    mod = importlib.import_module(module)
    public = {
        name
        for name, value in vars(mod).items()
        if not name.startswith("_")
        and getattr(value, "__module__", module).startswith(module)
        and not isinstance(value, type(importlib))
    }
    assert set(mod.__all__) >= public
    for name in mod.__all__:
        assert hasattr(mod, name), name
