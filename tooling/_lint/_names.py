"""Checks for declaration names and descriptions, shared by every kind of declaration.

An event name is a NATS subject and stream name; actor, projection and reactor names are
durable consumer names; aggregate names are stream names. All of them must be valid
NATS names, and walnats asks for kebab-case on top so that names are predictable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "MAX_DESCRIPTION_BYTES",
    "MAX_NAME_LENGTH",
    "Problem",
    "check_description",
    "check_name",
    "to_kebab",
]

MAX_NAME_LENGTH = 64
"""Longest accepted name. NATS advises under 32 characters because storage paths contain
the account, stream and consumer names; walnats 1.x and 2.x accept up to 64."""

MAX_DESCRIPTION_BYTES = 4096
"""nats-server rejects longer stream and consumer descriptions."""

Problem = tuple[str, Mapping[str, object]]
"""A rule code and the fields for its message template."""

_KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_FORBIDDEN = {".": '"."', "*": '"*"', ">": '">"', "/": '"/"', "\\": '"\\"'}
# Device names that cannot be files on Windows, whatever the extension.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{digit}" for digit in range(10)}
    | {f"lpt{digit}" for digit in range(10)}
)


def to_kebab(name: str) -> str:
    """The kebab-case spelling of *name*: ``OrderPlaced`` and ``order_placed`` → ``order-placed``.

    Returns an empty string when *name* holds no ASCII letter or digit.
    """
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", spaced)
    return re.sub(r"[^a-z0-9]+", "-", spaced.lower()).strip("-")


def _printable(name: str) -> str:
    """*name* with control characters escaped, so a message stays on one line."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in name)


def _hint(name: str) -> str:
    suggestion = to_kebab(name)
    if suggestion and len(suggestion) <= MAX_NAME_LENGTH:
        return f'use "{suggestion}"'
    return "use lowercase letters, digits and single hyphens"


def check_name(name: str, first: int) -> list[Problem]:
    """The name rules *name* breaks; *first* is the kind's first code (1, 21 or 41).

    Codes are ``first`` (empty), ``+1`` (too long), ``+2`` (forbidden characters),
    ``+3`` (not kebab-case, only reported without ``+2``) and ``+7`` (reserved).
    """

    def code(offset: int) -> str:
        return f"WNS{first + offset:03d}"

    if not name:
        return [(code(0), {})]
    problems: list[Problem] = []
    if len(name) > MAX_NAME_LENGTH:
        problems.append((code(1), {"length": len(name)}))
    shown = _printable(name)
    chars = ["whitespace"] if any(char.isspace() for char in name) else []
    chars += [label for char, label in _FORBIDDEN.items() if char in name]
    if chars:
        problems.append((code(2), {"name": shown, "chars": ", ".join(chars), "hint": _hint(name)}))
    elif not _KEBAB.fullmatch(name):
        problems.append((code(3), {"name": shown, "hint": _hint(name)}))
    if name.lower() in _RESERVED:
        problems.append((code(7), {"name": shown}))
    return problems


def check_description(description: str, first: int) -> list[Problem]:
    """The description rules a literal *description* breaks (codes ``first + 4``, ``+5``)."""
    if not description.strip():
        return [(f"WNS{first + 4:03d}", {})]
    size = len(description.encode())
    if size > MAX_DESCRIPTION_BYTES:
        return [(f"WNS{first + 5:03d}", {"length": size})]
    return []
