"""The ``walnats`` command: argument parsing, dispatch and error reporting.

argparse (standard library) rather than click or typer: no extra runtime dependency
for every service that installs walnats, and full control over the one-line
``error: ...`` messages the CLI contract requires (argparse's usage errors are
rewritten to that form too).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import traceback
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import NoReturn

import walnats
from walnats import WalnatsError

from . import _asyncapi, _dlq, _graph, _lint, _projections, _run, _server, _status

__all__ = ["build_parser", "main"]

_COMMANDS = (_run, _graph, _asyncapi, _projections, _lint, _status, _dlq, _server)
_DESCRIPTION = """\
walnats: events, actors and event sourcing on NATS JetStream.

APP is module:attribute naming your walnats.Services, e.g. myapp.main:services. It
may be omitted when pyproject.toml has [tool.walnats] app = "..." or WALNATS_APP is
set. The server is --url or NATS_URL; the database --db or WALNATS_DB.
"""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one ``error: ...`` line."""

    def error(self, message: str) -> NoReturn:
        """Print ``error: <message>`` and a pointer to ``--help``; exit 2."""
        self.exit(2, f"error: {message}; see `{self.prog} --help`\n")


def _version() -> str:
    try:
        nats_py = version("nats-py")
    except PackageNotFoundError:  # pragma: no cover - nats-py is a hard dependency
        nats_py = "?"
    return f"walnats {walnats.__version__} (nats-py {nats_py}, Python {platform.python_version()})"


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command (also used to render the CLI docs)."""
    common = _Parser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks instead of one-line errors",
    )
    parser = _Parser(
        prog="walnats",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run `walnats COMMAND --help` for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _COMMANDS:
        module.register(subparsers, common)
    _remember_parsers(parser)
    return parser


def _remember_parsers(parser: argparse.ArgumentParser) -> None:
    """Give every (sub)command's namespace its parser, for errors found after parsing."""
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                child.set_defaults(parser=child)
                _remember_parsers(child)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``walnats`` command line; return the exit status.

    0: success. 1: the command failed (one ``error: ...`` line on stderr, a
    traceback too with ``--debug``). 2: wrong usage. 130: interrupted by Ctrl-C.
    """
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:  # reported by the command's own parser, so --help points at it
        getattr(args, "parser", parser).error(f"unrecognized arguments: {' '.join(extras)}")
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    debug = bool(getattr(args, "debug", False))
    try:
        status: int = args.handler(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`walnats graph | head`): not our error. Point stdout
        # at /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (WalnatsError, ModuleNotFoundError, OSError) as exc:
        return _fail(exc, debug, unexpected=False)
    except Exception as exc:  # noqa: BLE001 - the last resort: one line, not a traceback
        return _fail(exc, debug, unexpected=True)
    return status


def _fail(exc: BaseException, debug: bool, *, unexpected: bool) -> int:
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    text = " ".join(str(exc).split()) or type(exc).__name__  # one line, always
    if isinstance(exc, OSError) and not isinstance(exc, WalnatsError) and exc.filename:
        text = f"{exc.strerror}: {exc.filename}"
    if unexpected:
        text = f"unexpected {type(exc).__name__}: {text}"
        if not debug:
            text += " (run with --debug for the traceback, and please report it)"
    print(f"error: {text}", file=sys.stderr)
    return 1
