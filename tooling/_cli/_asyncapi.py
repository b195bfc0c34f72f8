"""``walnats asyncapi``: print (or check) the AsyncAPI 3.0 document of the app."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .._app import load_app
from .._asyncapi import to_asyncapi, validate_asyncapi
from ._common import CommandError, Subparsers, add_app

__all__ = ["register"]

_DESCRIPTION = """\
Print an AsyncAPI 3.0.0 document of the app (or of one --service): a channel per
event with its real payload schema, send operations for emitted events, receive
operations for actors with the NATS queue binding and x-jetstream-consumer, replies
for request events, and the dead-letter channel.

--check validates the document instead of printing it: key patterns, $ref targets,
operation messages, address parameters, NATS bindings and reply addresses. Add
--schema FILE to validate against the official JSON Schema too (3.0.0.json from
github.com/asyncapi/spec-json-schemas; needs the jsonschema package).
"""


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    """Add ``walnats asyncapi``."""
    parser = subparsers.add_parser(
        "asyncapi",
        parents=[common],
        help="print the AsyncAPI 3.0 document of the app",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: walnats asyncapi myapp:services --service orders --format yaml",
    )
    add_app(parser)
    parser.add_argument("--format", choices=("json", "yaml"), default="json")
    parser.add_argument("--service", metavar="NAME", help="document only this service")
    parser.add_argument(
        "--server-url",
        metavar="URL",
        help="fill `servers` with this NATS URL (credentials are left out)",
    )
    parser.add_argument("--check", action="store_true", help="validate instead of printing")
    parser.add_argument(
        "--schema", type=Path, metavar="FILE", help="also validate against this JSON Schema"
    )
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build the document; validate it when asked; print or write it."""
    services, _ = load_app(args.app)
    document = to_asyncapi(services, service=args.service, server_url=args.server_url)
    if args.check or args.schema:
        problems = validate_asyncapi(document, _schema(args.schema) if args.schema else None)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            raise CommandError(
                f"the AsyncAPI document has {len(problems)} problem(s), listed above"
            )
        if args.check:
            counts = f"{len(document['channels'])} channels, {len(document['operations'])} ops"
            print(
                f"ok: AsyncAPI {document['asyncapi']} document of {document['info']['title']} "
                f"is valid ({counts})"
            )
            return 0
    text = _dump(document, args.format)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _schema(path: Path) -> dict[str, Any]:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the JSON Schema {str(path)!r}: {exc}") from None
    if not isinstance(schema, dict):
        raise CommandError(f"{str(path)!r} is not a JSON Schema (not an object)")
    return schema


def _dump(document: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        import yaml
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "--format yaml needs PyYAML: pip install pyyaml (or use --format json)"
        ) from None
    return str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100))
