"""JSON Pointers (RFC 6901) for local ``$ref`` s: building them and following them."""

from __future__ import annotations

import urllib.parse
from typing import Any

__all__ = ["MISSING", "pointer", "resolve"]

MISSING = object()
"""What :func:`resolve` returns for a reference that leads nowhere."""


def pointer(*parts: str) -> str:
    """The local reference ``#/a/b`` to the node at *parts*, escaped as RFC 6901 asks."""
    escaped = (part.replace("~", "~0").replace("/", "~1") for part in parts)
    return "#/" + "/".join(urllib.parse.quote(part, safe="~!$&'()*+,;=:@") for part in escaped)


def resolve(document: Any, ref: str) -> Any:
    """The node *ref* (``#/...``) points to in *document*, or :data:`MISSING`.

    References to other files or URLs also give :data:`MISSING`: a walnats document
    is self-contained, so an external reference is always a mistake in it.
    """
    if ref == "#":
        return document
    if not ref.startswith("#/"):
        return MISSING
    node = document
    for raw in ref[2:].split("/"):
        part = urllib.parse.unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node
