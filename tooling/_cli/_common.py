"""What the commands share: options, the NATS connection, errors and tables."""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeAlias

import walnats
from walnats import WalnatsError

if TYPE_CHECKING:
    from nats.aio.client import Client

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "CommandError",
    "Subparsers",
    "add_app",
    "add_connection",
    "connect",
    "env_or",
    "positive_float",
    "positive_int",
    "server_version",
    "table",
]

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""The type of ``add_subparsers()``; spelled as a string, the class is private."""

DEFAULT_CONNECT_TIMEOUT = 5.0


class CommandError(WalnatsError):
    """A problem the CLI reports as ``error: ...``: a bad argument or state."""


def add_app(parser: argparse.ArgumentParser) -> None:
    """The optional positional APP."""
    parser.add_argument(
        "app",
        nargs="?",
        metavar="APP",
        help="module:attribute of your walnats.Services (default: [tool.walnats] app "
        "in ./pyproject.toml, else $WALNATS_APP)",
    )


def add_connection(parser: argparse.ArgumentParser) -> None:
    """``--url`` and ``--connect-timeout``."""
    parser.add_argument(
        "--url",
        metavar="URL",
        help="NATS server URL(s), comma-separated (default: $NATS_URL, else nats://127.0.0.1:4222)",
    )
    parser.add_argument(
        "--connect-timeout",
        type=positive_float,
        default=DEFAULT_CONNECT_TIMEOUT,
        metavar="SECONDS",
        help="give up connecting after this long (default: %(default)g)",
    )


@asynccontextmanager
async def connect(args: argparse.Namespace) -> AsyncIterator[Client]:
    """A connection to ``--url`` (or ``$NATS_URL``); raises ``ConnectionFailed`` in time."""
    async with walnats.Events().connect(args.url, connect_timeout=args.connect_timeout) as conn:
        yield conn.client


def server_version(nc: Client) -> str:
    """``2.15.1``: the version of the server *nc* is connected to."""
    version = nc.connected_server_version
    return f"{version.major}.{version.minor}.{version.patch}"


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def env_or(value: str | None, name: str) -> str | None:
    """*value*, else the environment variable *name*, else ``None``."""
    return value or os.environ.get(name) or None


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table, columns left-aligned (numbers right-aligned)."""
    cells = [[str(h) for h in headers], *[["" if c is None else str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(isinstance(r[i], int) for r in rows) and bool(rows) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [
            cell.rjust(width) if numeric[i] else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)
