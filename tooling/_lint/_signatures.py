"""The parameters of each walnats declaration, and binding a call's arguments to them.

Only the leading parameters the rules look at are listed, in declaration order, so
positional arguments land on the right name. Keywords are taken as written, including
ones not listed here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

__all__ = ["PARAMS", "BoundCall", "bind"]

PARAMS: dict[str, tuple[str, ...]] = {
    "event": (
        "name",
        "schema",
        "serializer",
        "description",
        "limits",
        "replicas",
        "storage",
        "duplicate_window",
    ),
    "actor": (
        "name",
        "event",
        "handler",
        "description",
        "ack_wait",
        "max_attempts",
        "max_ack_pending",
        "middlewares",
        "max_jobs",
        "job_timeout",
        "execute_in",
        "retry_delay",
    ),
    "aggregate": ("name",),
    "projection": ("name",),
    "reactor": ("name",),
    "limits": ("age", "consumers", "messages", "bytes", "message_size", "messages_per_subject"),
    "retry": ("max_attempts", "delays", "initial", "multiplier", "maximum", "jitter"),
    "events": (),
    "actors": (),
    "services": (),
    "service": ("name", "version", "description", "emits", "defines", "owns"),
}
"""Declaration kind → positional parameter names (see ``docs/linter.md``)."""


@dataclass
class BoundCall:
    """A declaration call's arguments by parameter name."""

    arguments: dict[str, ast.expr] = field(default_factory=dict)
    """Parameter name → the expression passed for it."""
    open: bool = False
    """True when ``*args`` or ``**kwargs`` may pass parameters the linter cannot see."""


def bind(call: ast.Call, params: tuple[str, ...]) -> BoundCall:
    """Map *call*'s arguments onto *params*, stopping positional mapping at ``*args``."""
    bound = BoundCall()
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            bound.open = True
            break
        if index < len(params):
            bound.arguments[params[index]] = arg
    for keyword in call.keywords:
        if keyword.arg is None:
            bound.open = True
        else:
            bound.arguments[keyword.arg] = keyword.value
    return bound
