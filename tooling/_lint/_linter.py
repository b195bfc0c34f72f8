"""``lint_source`` and ``lint_paths``: the linter as a library, used by ``walnats lint``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ._crossfile import check_across
from ._facts import ModuleFacts
from ._files import is_suppressed, iter_python_files, parse, read_source, unreadable
from ._violation import Violation
from ._visitor import check_module

__all__ = ["lint_paths", "lint_source"]


class _Run:
    """One linter run over a set of modules: per-file checks, then cross-file checks."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self.facts: list[ModuleFacts] = []
        self.lines: dict[str, list[str]] = {}

    def add(self, path: str, source: str) -> None:
        """Check one module's *source*, read from *path*."""
        self.lines[path] = source.splitlines()
        try:
            tree = parse(source, path)
        except (SyntaxError, ValueError) as error:  # ValueError: null bytes on 3.11
            self.violations.append(unreadable(path, error))
            return
        violations, facts = check_module(tree, path)
        self.violations += violations
        self.facts.append(facts)

    def finish(self) -> list[Violation]:
        """All violations not silenced by ``# noqa``, sorted by path, line and column."""
        found = self.violations + check_across(self.facts)
        kept = {v for v in found if not is_suppressed(v, self.lines.get(v.path, ()))}
        return sorted(kept)


def lint_source(source: str, filename: str = "<string>") -> list[Violation]:
    """Lint one module's *source* as if it were the whole application.

    Runs every rule, the cross-file ones included, so ``lint_source(text, name)`` gives
    the same answer as ``lint_paths([name])`` for a file holding *text*.
    """
    run = _Run()
    run.add(filename, source)
    return run.finish()


def lint_paths(paths: Sequence[str | Path]) -> list[Violation]:
    """Lint the files and directories in *paths* together, as one application.

    Directories are searched for ``*.py`` files (hidden, build and virtualenv folders
    skipped). Files are linted together so that duplicate names and event flow are
    checked across them; a file given twice is linted once. A file that cannot be read
    or parsed yields WNS000 instead of an exception. A single path is accepted too.
    """
    if isinstance(paths, str | Path):  # a lone path, not a sequence of characters
        paths = [paths]
    run = _Run()
    seen: set[Path] = set()
    for file in iter_python_files(paths):
        key = file.resolve()
        if key in seen:
            continue
        seen.add(key)
        try:
            source = read_source(file)
        except (OSError, SyntaxError, UnicodeDecodeError) as error:
            run.violations.append(unreadable(str(file), error))
            continue
        run.add(str(file), source)
    return run.finish()
