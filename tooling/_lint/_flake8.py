"""The flake8 plugin: ``flake8 --select WNS`` runs the per-file walnats rules.

flake8 hands a plugin one file at a time, so the cross-file rules (WNS031 to WNS035) run
only in ``walnats lint``. flake8 parses the file itself (reporting E999 on a syntax
error) and handles ``# noqa`` comments, so neither is done here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from importlib import metadata
from typing import Any

from ._visitor import check_module

__all__ = ["WalnatsChecker"]


def _version() -> str:
    try:
        return metadata.version("walnats")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


class WalnatsChecker:
    """flake8 AST checker registered as ``WNS`` in the ``flake8.extension`` entry points."""

    name = "walnats"
    version = _version()

    def __init__(self, tree: ast.AST, filename: str) -> None:
        self._tree = tree
        self._filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type[Any]]]:
        """Yield ``(line, column, "WNSxxx message", type)`` with a 0-based column."""
        if not isinstance(self._tree, ast.Module):
            return
        violations, _ = check_module(self._tree, self._filename)
        for violation in sorted(violations):
            text = f"{violation.code} {violation.message}"
            yield violation.line, violation.col - 1, text, type(self)
