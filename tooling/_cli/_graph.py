"""``walnats graph``: print the event-flow diagram as Graphviz DOT."""

from __future__ import annotations

import argparse
import sys

from .._app import load_app
from .._graph import DIRECTIONS, to_dot
from ._common import Subparsers, add_app

__all__ = ["register"]

_DESCRIPTION = """\
Print the app's event flow as Graphviz DOT: services as clusters, events orange,
actors and reactors lilac, aggregates yellow, projections green, anything outside
the app pink. Rendering needs the Graphviz `dot` program; generating does not.
"""


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    """Add ``walnats graph``."""
    parser = subparsers.add_parser(
        "graph",
        parents=[common],
        help="print the event-flow diagram as Graphviz DOT",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: walnats graph myapp:services | dot -Tsvg > flow.svg",
    )
    add_app(parser)
    parser.add_argument(
        "--direction",
        choices=DIRECTIONS,
        default="LR",
        help="LR: left to right (default), TB: top to bottom, RL, BT",
    )
    parser.add_argument(
        "--service", metavar="NAME", help="draw only this service (its peers as pink nodes)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Load the app and write the DOT source to stdout."""
    services, _ = load_app(args.app)
    sys.stdout.write(to_dot(services, direction=args.direction, service=args.service))
    return 0
