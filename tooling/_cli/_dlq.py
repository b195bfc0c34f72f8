"""``walnats dlq list|show|retry|purge``: inspect and re-drive dead letters."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from typing import Any

from walnats import DEAD_LETTER_STREAM, DeadLetter, DeadLetters

from ._common import CommandError, Subparsers, add_connection, connect, positive_int, table
from ._progress import Progress

__all__ = ["register"]

_PAGE = 500

_DESCRIPTION = f"""\
Dead letters are events an actor gave up on, kept in the stream {DEAD_LETTER_STREAM!r}
with the original payload and headers and why it failed. `retry` publishes them
again for the failed actor only (other actors of the event do not see them twice) and
removes them from the dead-letter stream; `purge` removes them for good.
"""


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    """Add ``walnats dlq`` and its four subcommands."""
    parser = subparsers.add_parser(
        "dlq",
        parents=[common],
        help="inspect and re-drive dead letters",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="dlq_command", metavar="COMMAND", required=True)
    listing = commands.add_parser("list", parents=[common], help="list dead letters")
    listing.add_argument("--actor", metavar="NAME", help="only this actor's")
    listing.add_argument("--limit", type=positive_int, default=100, help="default: %(default)s")
    listing.add_argument("--json", action="store_true", help="print JSON lines")
    listing.set_defaults(handler=_list)
    show = commands.add_parser("show", parents=[common], help="show one dead letter in full")
    show.add_argument("sequence", type=positive_int, metavar="SEQ")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_show)
    for name, verb, summary, handler in (
        ("retry", "re-drive", "re-drive dead letters to the actor that failed", _retry),
        ("purge", "delete", "delete dead letters for good", _purge),
    ):
        command = commands.add_parser(
            name,
            parents=[common],
            help=summary,
            description=f"{summary[0].upper()}{summary[1:]}: name them by sequence "
            f"(SEQ...), by --actor, or choose --all.",
            epilog=f"examples: walnats dlq {name} 12 13; walnats dlq {name} --actor send-email",
        )
        command.add_argument("sequences", nargs="*", type=positive_int, metavar="SEQ")
        command.add_argument("--actor", metavar="NAME", help=f"{verb} all of this actor's")
        command.add_argument("--all", action="store_true", help=f"{verb} every dead letter")
        command.set_defaults(handler=handler)
    for command in commands.choices.values():
        add_connection(command)


def _list(args: argparse.Namespace) -> int:
    async def collect() -> tuple[list[DeadLetter], int]:
        async with connect(args) as nc:
            dead = DeadLetters(nc)
            return await dead.list(args.actor, limit=args.limit), await dead.count(args.actor)

    letters, total = asyncio.run(collect())
    if args.json:
        for letter in letters:
            print(json.dumps(_as_json(letter), ensure_ascii=False))
        return 0
    if letters:
        rows = [
            (
                letter.sequence,
                letter.actor,
                letter.event,
                letter.attempts,
                letter.reason,
                letter.failed_at.strftime("%Y-%m-%d %H:%M:%S"),
                _short(letter.error or ""),
            )
            for letter in letters
        ]
        print(table(("SEQ", "ACTOR", "EVENT", "ATTEMPTS", "REASON", "FAILED (UTC)", "ERROR"), rows))
    print(f"{len(letters)} of {total} dead letter(s) shown")
    return 0


def _show(args: argparse.Namespace) -> int:
    async def fetch() -> DeadLetter:
        async with connect(args) as nc:
            return await DeadLetters(nc).get(args.sequence)

    letter = asyncio.run(fetch())
    if args.json:
        print(json.dumps(_as_json(letter), indent=2, ensure_ascii=False))
        return 0
    lines = [
        f"dead letter {letter.sequence}",
        f"actor:      {letter.actor}",
        f"event:      {letter.event}",
        f"original:   subject {letter.subject}, stream {letter.stream} #{letter.stream_sequence}",
        f"attempts:   {letter.attempts}",
        f"reason:     {letter.reason}",
        f"error:      {': '.join(x for x in (letter.error_type, letter.error) if x) or '-'}",
        f"failed at:  {letter.failed_at.isoformat()}",
        "headers:",
        *(f"  {name}: {value}" for name, value in sorted(letter.headers.items())),
        f"payload ({len(letter.data)} bytes):",
        _payload_text(letter.data),
    ]
    print("\n".join(lines))
    return 0


def _retry(args: argparse.Namespace) -> int:
    _require_selection(args, "retry")

    async def run() -> int:
        async with connect(args) as nc:
            dead = DeadLetters(nc)
            sequences = await _selected(dead, args)
            progress = Progress("dlq retry", len(sequences))
            for sequence in sequences:
                await dead.retry(sequence)
                progress.advance()
            progress.close()
            return len(sequences)

    print(f"re-drove {asyncio.run(run())} dead letter(s) to their actors")
    return 0


def _purge(args: argparse.Namespace) -> int:
    _require_selection(args, "purge")

    async def run() -> int:
        async with connect(args) as nc:
            dead = DeadLetters(nc)
            if args.all or args.actor:
                return await dead.purge(None if args.all else args.actor)
            for sequence in await _selected(dead, args):
                await dead.purge(sequence=sequence)
            return len(args.sequences)

    print(f"purged {asyncio.run(run())} dead letter(s)")
    return 0


async def _selected(dead: DeadLetters, args: argparse.Namespace) -> list[int]:
    """The sequences to work on, all looked up before anything changes.

    Named sequences must all exist, so a typo changes nothing. For ``--actor`` and
    ``--all`` the list is taken first: an event that fails again while the command
    runs lands at a higher sequence and is not re-driven twice in one run.
    """
    if args.sequences:
        return [(await dead.get(sequence)).sequence for sequence in args.sequences]
    actor = None if args.all else args.actor
    sequences: list[int] = []
    while page := await dead.list(actor, limit=_PAGE, after=sequences[-1] if sequences else 0):
        sequences += [letter.sequence for letter in page]
    return sequences


def _require_selection(args: argparse.Namespace, verb: str) -> None:
    chosen = sum((bool(args.sequences), bool(args.actor), bool(args.all)))
    if chosen != 1:
        raise CommandError(
            f"name the dead letters to {verb}: sequence numbers (SEQ...), --actor NAME, "
            f"or --all (exactly one of them); see `walnats dlq list`"
        )


def _as_json(letter: DeadLetter) -> dict[str, Any]:
    data: dict[str, Any] = {
        "sequence": letter.sequence,
        "actor": letter.actor,
        "event": letter.event,
        "subject": letter.subject,
        "stream": letter.stream,
        "stream_sequence": letter.stream_sequence,
        "attempts": letter.attempts,
        "reason": letter.reason,
        "error_type": letter.error_type,
        "error": letter.error,
        "failed_at": letter.failed_at.isoformat(),
        "headers": letter.headers,
    }
    try:
        data["data"] = letter.data.decode("utf-8")
    except UnicodeDecodeError:
        data["data_base64"] = base64.b64encode(letter.data).decode("ascii")
    return data


def _payload_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "base64: " + base64.b64encode(data).decode("ascii")


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
