"""The :class:`Violation` record every linter front end reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Severity", "Violation"]

Severity = Literal["error", "warning"]
"""An ``error`` makes ``walnats lint`` exit 1; a ``warning`` is printed only."""


@dataclass(frozen=True, order=True)
class Violation:
    """One broken rule at one place in one file.

    Sorting violations orders them by path, line, column and code, which is the order
    the CLI prints them in.
    """

    path: str
    """The file as it was given to the linter (or found under a given directory)."""
    line: int
    """1-based line of the offending node."""
    col: int
    """1-based column, as flake8 and most editors display it."""
    code: str
    """The rule code, ``WNS`` and three digits; see ``docs/linter.md``."""
    message: str
    """A sentence saying what is wrong and what to do."""
    severity: Severity
    """Whether the violation fails ``walnats lint``."""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col} {self.code} {self.message}"
