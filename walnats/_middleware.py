"""The middleware seam: hooks around emitting and consuming.

A middleware is any object with some of the hook methods below; missing hooks cost
nothing. Hooks are awaited in order, so a tracing middleware sees a handler's span
close before the message is acknowledged. Global middlewares (passed to
``connect()``/``listen()``) run before an actor's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._context import Context, EmitContext, ErrorContext, OkContext

__all__ = ["Middleware"]


class Middleware:
    """Base class for middlewares; override the hooks you need.

    Subclassing is optional: walnats looks the hooks up by name once, when the
    middleware is installed, and never calls a hook a class does not define.
    """

    async def on_emit(self, ctx: EmitContext) -> None:
        """Called before an event is published; may add headers to ``ctx.headers``."""

    async def on_start(self, ctx: Context[Any]) -> None:
        """Called before a handler runs."""

    async def on_success(self, ctx: OkContext[Any]) -> None:
        """Called after a handler returned, before the message is acknowledged."""

    async def on_failure(self, ctx: ErrorContext[Any]) -> None:
        """Called after a handler raised or the payload could not be decoded."""


HOOKS = ("on_emit", "on_start", "on_success", "on_failure")


def hooks_of(middlewares: tuple[object, ...], hook: str) -> tuple[Any, ...]:
    """The bound *hook* methods the middlewares really implement."""
    found = []
    for mw in middlewares:
        method = getattr(mw, hook, None)
        if method is None:
            continue
        base = getattr(Middleware, hook)
        if getattr(method, "__func__", None) is base:
            continue
        found.append(method)
    return tuple(found)
