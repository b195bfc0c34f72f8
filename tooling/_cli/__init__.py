"""The ``walnats`` command line (console script ``walnats = tooling._cli:main``).

One module per command group; each exposes ``register(subparsers, common)``.
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
