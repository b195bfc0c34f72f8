"""Validation of the names that become NATS stream, subject and consumer names."""

from __future__ import annotations

import re

from ._errors import ConfigError

__all__ = ["MAX_NAME_LENGTH", "check_description", "check_name", "kebab_case"]

MAX_NAME_LENGTH = 64
"""Stream and consumer names share one limit: they become file names on the server."""

MAX_DESCRIPTION_LENGTH = 4096

_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FORBIDDEN = re.compile(r"[\s.*>/\\]")


def kebab_case(name: str) -> str:
    """Suggest a kebab-case spelling of *name* for error messages."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name)
    return re.sub(r"[^a-z0-9]+", "-", spaced.lower()).strip("-")


def check_name(kind: str, name: object) -> None:
    """Reject a name NATS cannot use, with a message that suggests a fix.

    Names become subjects, stream names and durable consumer names, so they must be
    short, kebab-case, and free of the NATS wildcard and separator tokens.
    """
    if not isinstance(name, str):
        raise ConfigError(f"{kind} name must be a str, got {type(name).__name__}")
    if not name:
        raise ConfigError(f"{kind} name must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ConfigError(
            f"{kind} name {name!r} is {len(name)} characters long; "
            f"the limit is {MAX_NAME_LENGTH} (it becomes a NATS stream or consumer name)"
        )
    if _FORBIDDEN.search(name):
        raise ConfigError(
            f"{kind} name {name!r} contains whitespace or one of . * > / \\ "
            f"which NATS reserves; use {kebab_case(name)!r}"
        )
    if not _KEBAB.match(name):
        raise ConfigError(f"{kind} name {name!r} is not kebab-case; use {kebab_case(name)!r}")


def check_description(kind: str, name: str, description: str | None) -> None:
    """Reject an empty or oversized description (``None`` means "no description")."""
    if description is None:
        return
    if not description.strip():
        raise ConfigError(f"{kind} {name!r}: description must not be empty; omit it instead")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise ConfigError(
            f"{kind} {name!r}: description is {len(description)} characters long; "
            f"the limit is {MAX_DESCRIPTION_LENGTH}"
        )
