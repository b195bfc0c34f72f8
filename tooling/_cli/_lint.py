"""``walnats lint``: the built-in linter (the same rules run as a flake8 plugin)."""

from __future__ import annotations

import argparse
import sys

from .._lint import lint_paths
from ._common import Subparsers

__all__ = ["register"]

_DESCRIPTION = """\
Check the walnats declarations in PATH... (files and directories, linted together as
one application) without importing them. Prints `path:line:col CODE message` per
problem; exits 1 when there is at least one error (warnings alone exit 0).
Rules: docs/linter.md.
"""


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    """Add ``walnats lint``."""
    parser = subparsers.add_parser(
        "lint",
        parents=[common],
        help="check walnats declarations without running them",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: walnats lint src/ tests/",
    )
    parser.add_argument(
        "paths", nargs="*", default=["."], metavar="PATH", help="default: the current directory"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print every violation; exit 1 when any is an error."""
    violations = lint_paths(args.paths)
    for violation in violations:
        print(violation)
    errors = sum(1 for v in violations if v.severity == "error")
    warnings = len(violations) - errors
    if violations:
        print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0
