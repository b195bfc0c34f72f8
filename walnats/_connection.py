"""Connecting to NATS: fail fast on a dead server, read the server version."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import nats
from nats.aio.client import Client

from ._errors import ConnectionFailed, ServerTooOld

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_SERVER",
    "ServerVersion",
    "on_reconnect",
    "open_connection",
    "require",
    "resolve_servers",
    "server_version",
]

logger = logging.getLogger("walnats")

DEFAULT_SERVER = "nats://127.0.0.1:4222"
DEFAULT_CONNECT_TIMEOUT = 5.0
"""Seconds the first connection may take before walnats gives up with a clear error."""


@dataclass(frozen=True, order=True)
class ServerVersion:
    """A nats-server version, comparable with ``>=``."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> ServerVersion:
        """Parse ``"2.15.1"`` (a leading ``v`` and any ``-suffix`` are ignored)."""
        core = text.lstrip("v").split("-", 1)[0]
        parts = [int(p) for p in core.split(".")[:3]]
        parts += [0] * (3 - len(parts))
        return cls(parts[0], parts[1], parts[2])

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def server_version(nc: Client) -> ServerVersion:
    """The version of the server *nc* is connected to."""
    return ServerVersion.parse(str(nc._server_info.get("version", "0.0.0")))


def require(nc: Client, feature: str, minimum: str) -> None:
    """Raise :class:`ServerTooOld` unless the connected server is at least *minimum*."""
    found = server_version(nc)
    if found < ServerVersion.parse(minimum):
        raise ServerTooOld(feature, minimum, str(found))


def resolve_servers(server: str | Sequence[str] | None) -> list[str]:
    """The server URLs to use: the argument, else ``NATS_URL``, else the local default."""
    if server is None:
        # NATS_SERVER is what walnats 1.x read; NATS_URL is the NATS convention.
        server = os.environ.get("NATS_URL") or os.environ.get("NATS_SERVER") or DEFAULT_SERVER
    if isinstance(server, str):
        return [s.strip() for s in server.split(",") if s.strip()]
    return list(server)


async def open_connection(
    server: str | Sequence[str] | None = None,
    *,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    **options: Any,
) -> Client:
    """Connect to NATS, or raise :class:`ConnectionFailed` within *connect_timeout*.

    After the first connection succeeds the client reconnects forever (NATS clusters
    restart one node at a time); only the first connection is bounded, so that a
    wrong URL or a dead server fails in seconds instead of minutes. *options* go to
    ``nats.connect`` unchanged: ``user_credentials``, ``token``, ``nkeys_seed``,
    ``tls``, ``name`` and so on.
    """
    servers = resolve_servers(server)
    nc = Client()
    last_error: list[BaseException] = []

    async def on_error(exc: Exception) -> None:
        if not nc.is_connected:
            last_error.append(exc)
            return
        logger.warning("NATS connection error: %s", exc or type(exc).__name__)

    options.setdefault("error_cb", on_error)
    options.setdefault("max_reconnect_attempts", -1)
    options.setdefault("reconnect_time_wait", 0.5)
    options.setdefault("connect_timeout", min(2.0, connect_timeout))
    options.setdefault("name", "walnats")
    try:
        await asyncio.wait_for(nc.connect(servers=servers, **options), timeout=connect_timeout)
    except (TimeoutError, OSError, nats.errors.Error) as exc:
        cause = last_error[-1] if last_error else exc
        await _close_quietly(nc)
        detail = str(cause) or type(cause).__name__
        raise ConnectionFailed(
            f"cannot connect to NATS at {', '.join(servers)} within {connect_timeout:g}s "
            f"({detail}). Is nats-server running there? Set NATS_URL or pass the server "
            f"URL; for local development `walnats server` starts one."
        ) from None
    return nc


async def _close_quietly(nc: Client) -> None:
    try:
        await nc.close()
    except Exception:
        logger.debug("closing a failed NATS connection raised", exc_info=True)


ReconnectHook = Callable[[], Awaitable[None]]


def on_reconnect(nc: Client, hook: ReconnectHook) -> Callable[[], None]:
    """Run *hook* after every reconnect of *nc*; returns a function that removes it.

    Pull requests die with the connection that carried them (nats.node#590,
    nats.rs#557 describe consumers stalling after a reconnect); actors use this to
    pull again at once. The user's own ``reconnected_cb`` keeps running first.
    """
    hooks: list[ReconnectHook] | None = getattr(nc, "_walnats_reconnect_hooks", None)
    if hooks is None:
        hooks = []
        previous = nc._reconnected_cb
        registered = hooks

        async def reconnected() -> None:
            if previous is not None:
                await previous()
            for registered_hook in list(registered):
                try:
                    await registered_hook()
                except Exception:
                    logger.exception("walnats reconnect hook failed")

        nc._reconnected_cb = reconnected
        nc._walnats_reconnect_hooks = hooks  # type: ignore[attr-defined]
    hooks.append(hook)

    def remove() -> None:
        if hook in hooks:
            hooks.remove(hook)

    return remove
