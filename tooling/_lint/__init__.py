"""The walnats linter: static checks of walnats declarations, without importing user code.

Run it as ``walnats lint PATH...`` or ``flake8 --select WNS``; the rules are listed in
``docs/linter.md`` and in :data:`RULES`.
"""

from ._linter import lint_paths, lint_source
from ._rules import RULES, Rule
from ._violation import Severity, Violation

__all__ = [
    # functions
    "lint_paths",
    "lint_source",
    # types
    "Rule",
    "Severity",
    "Violation",
    # data
    "RULES",
]
