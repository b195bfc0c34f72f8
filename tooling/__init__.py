"""The walnats CLI, diagram and AsyncAPI generators, and the linter.

The generators are pure functions over a :class:`walnats.Services` registry; they
return data and never print, so they work the same from the ``walnats`` command, a
test, or a docs build::

    from tooling import to_asyncapi, to_dot

    dot_source = to_dot(services, direction="TB")
    document = to_asyncapi(services, service="orders")
"""

from ._app import AppError, load_app
from ._asyncapi import to_asyncapi, validate_asyncapi
from ._graph import to_dot
from ._lint import Violation, lint_paths, lint_source

__all__ = [
    # generators
    "to_asyncapi",
    "to_dot",
    # checks
    "lint_paths",
    "lint_source",
    "validate_asyncapi",
    # the app
    "load_app",
    # types
    "Violation",
    # exceptions
    "AppError",
]
