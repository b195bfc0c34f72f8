"""Finding, reading and parsing the files to lint, and honouring ``# noqa`` comments.

Reading never raises: a file that cannot be read, decoded or parsed becomes one WNS000
violation, so one broken file does not hide the results for the others.
"""

from __future__ import annotations

import ast
import os
import re
import tokenize
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

from ._rules import make_violation
from ._violation import Violation

__all__ = ["is_suppressed", "iter_python_files", "parse", "read_source", "unreadable"]

_SKIPPED_DIRS = frozenset({"__pycache__", "build", "dist", "node_modules", "site-packages"})
"""Directories that hold generated or third-party code, never the user's declarations."""

# The comment syntax flake8 accepts: bare noqa, or noqa, a colon and codes (WNS004,WNS007).
_NOQA = re.compile(r"#\s*noqa(?::\s?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I)


def _skip_dir(directory: Path) -> bool:
    name = directory.name
    return (
        name.startswith(".")
        or name in _SKIPPED_DIRS
        or name.endswith(".egg-info")
        or (directory / "pyvenv.cfg").exists()  # a virtualenv, whatever its name
    )


def iter_python_files(paths: Sequence[str | Path]) -> Iterator[Path]:
    """Every file in *paths*, with directories expanded to their ``*.py`` files.

    A path given explicitly is always yielded, even a hidden or missing one, so that a
    typo is reported instead of silently ignored. Directories are walked in sorted
    order without following symbolic links; hidden, build and virtualenv folders are
    skipped.
    """
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not _skip_dir(Path(root, d)))
            yield from (Path(root, f) for f in sorted(files) if f.endswith(".py"))


def read_source(path: Path) -> str:
    """The text of *path*, decoded as Python does (BOM and coding cookie honoured)."""
    with tokenize.open(path) as file:
        return file.read()


def parse(source: str, filename: str) -> ast.Module:
    """Parse *source* without letting ``SyntaxWarning`` escape (e.g. ``"\\d"`` in user code)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, filename)


def unreadable(path: str, error: Exception) -> Violation:
    """The WNS000 violation for a file that cannot be read, decoded or parsed."""
    line, col = 1, 1
    if isinstance(error, UnicodeDecodeError):
        text = "it is not valid text in its encoding (UTF-8 unless declared)"
    elif isinstance(error, SyntaxError):
        # tokenize names the file in encoding errors; the path is printed already.
        text = re.sub(r" for '.*'$", "", error.msg)
        line, col = error.lineno or 1, error.offset or 1
    elif isinstance(error, OSError):
        text = (error.strerror or str(error)).lower()
    else:
        text = str(error)
    return make_violation("WNS000", path, line, col, error=text)


def is_suppressed(violation: Violation, lines: Sequence[str]) -> bool:
    """True when the violation's line carries ``# noqa`` or ``# noqa: <its code>``.

    Like flake8, a listed code also matches as a prefix: ``# noqa: WNS0`` silences
    WNS000 to WNS099.
    """
    if not 1 <= violation.line <= len(lines):
        return False
    match = _NOQA.search(lines[violation.line - 1])
    if match is None:
        return False
    codes = match.group("codes")
    if codes is None:
        return True
    prefixes = tuple(code.upper() for code in re.split(r"[,\s]+", codes) if code)
    return violation.code.startswith(prefixes)
