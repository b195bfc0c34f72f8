"""Progress of long work (dlq retry, replay, snapshot) on stderr.

On a terminal it is one bar redrawn in place; in CI logs and pipes it is a plain line
at most every few seconds, so logs stay short and readable.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]

_WIDTH = 30
_PLAIN_EVERY = 5.0


class Progress:
    """Counts finished items out of *total* (``None`` when unknown)."""

    def __init__(self, label: str, total: int | None, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last = time.monotonic()
        self._note: str | None = None

    def advance(self, count: int = 1) -> None:
        """Record *count* more finished items and redraw when it is time."""
        self.done += count
        self._draw(self._text())

    def note(self, text: str, done: int, total: int) -> None:
        """Show a progress line someone else formatted (a replay's rate and ETA)."""
        self.done, self.total, self._note = done, total, text
        self._draw(self._text())

    def close(self) -> None:
        """Print the final state on its own line."""
        if self.tty:
            self.stream.write("\r\x1b[K" + self._text() + "\n")
        else:
            print(self._text(), file=self.stream)
        self.stream.flush()

    def _draw(self, text: str) -> None:
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r\x1b[K" + text)  # carriage return, clear to end of line
            self.stream.flush()
        elif now - self._last >= _PLAIN_EVERY:
            self._last = now
            print(text, file=self.stream, flush=True)

    def _text(self) -> str:
        if self._note is not None:
            return f"{self.label}: {self._note}"
        if not self.total:
            return f"{self.label}: {self.done}"
        filled = min(_WIDTH, _WIDTH * self.done // self.total)
        bar = "#" * filled + "." * (_WIDTH - filled)
        return f"{self.label} [{bar}] {self.done}/{self.total}"
