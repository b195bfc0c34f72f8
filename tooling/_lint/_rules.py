"""The rule table: every code the linter can report, its severity, message and reason.

``docs/linter.md`` renders this table; ``tests/test_lint.py`` keeps the two in sync, so
a new rule is added here first, then documented.
"""

from __future__ import annotations

from typing import NamedTuple

from ._violation import Severity, Violation

__all__ = ["RULES", "Rule", "make_violation"]


class Rule(NamedTuple):
    """How one rule reports: severity, message template (``str.format`` fields) and why."""

    severity: Severity
    message: str
    why: str


_NAME_WHY = {
    "empty": "The name is the NATS stream or consumer name; an empty one cannot be registered.",
    "long": (
        "Names end up in JetStream API subjects and storage directory paths; NATS advises"
        " short names and walnats caps them at 64 characters."
    ),
    "chars": (
        "NATS forbids whitespace, '.', '*', '>' and path separators in stream and consumer"
        " names: they are subject tokens, wildcards or directory separators."
    ),
    "kebab": (
        "One naming style keeps subjects, streams and consumers predictable, and avoids"
        " names that collide on case-insensitive file systems."
    ),
    "reserved": (
        "Names become directory names; NUL, CON, COM1 and the like cannot be created on"
        " Windows file systems."
    ),
    "desc_empty": "An empty description documents nothing; omit the argument or write one.",
    "desc_long": "NATS rejects stream and consumer descriptions longer than 4096 bytes.",
    "desc_missing": "The description is shown in the docs, diagrams and the AsyncAPI document.",
}


def _name_rules(
    first: int, noun: str, example: str, *, with_missing: bool = True
) -> dict[str, Rule]:
    """The name and description rules shared by events, actors and event-sourcing parts."""
    rules = {
        f"WNS{first:03d}": Rule(
            "error",
            f'{noun} name is empty; give it a kebab-case name such as "{example}"',
            _NAME_WHY["empty"],
        ),
        f"WNS{first + 1:03d}": Rule(
            "error",
            f"{noun} name is {{length}} characters long; shorten it to at most 64 characters",
            _NAME_WHY["long"],
        ),
        f"WNS{first + 2:03d}": Rule(
            "error", f'{noun} name "{{name}}" contains {{chars}}; {{hint}}', _NAME_WHY["chars"]
        ),
        f"WNS{first + 3:03d}": Rule(
            "error", f'{noun} name "{{name}}" is not kebab-case; {{hint}}', _NAME_WHY["kebab"]
        ),
        f"WNS{first + 4:03d}": Rule(
            "error",
            f"{noun} description is empty; describe it or drop the argument",
            _NAME_WHY["desc_empty"],
        ),
        f"WNS{first + 5:03d}": Rule(
            "error",
            f"{noun} description is {{length}} bytes long; shorten it to at most 4096 bytes",
            _NAME_WHY["desc_long"],
        ),
        f"WNS{first + 7:03d}": Rule(
            "warning",
            f'{noun} name "{{name}}" is a reserved file name on Windows; choose another name',
            _NAME_WHY["reserved"],
        ),
    }
    if with_missing:
        rules[f"WNS{first + 6:03d}"] = Rule(
            "warning",
            f'{noun} "{{name}}" has no description; add description="..." for the docs',
            _NAME_WHY["desc_missing"],
        )
    return rules


RULES: dict[str, Rule] = {
    "WNS000": Rule(
        "error",
        "cannot lint this file: {error}; fix it so that Python can read and parse it",
        "A file the linter cannot read or parse is not checked at all.",
    ),
    **_name_rules(1, "event", "order-placed"),
    "WNS011": Rule(
        "error",
        "{call} {arg}={value} is negative; {hint}",
        "Negative sizes, counts and durations are rejected by walnats or mean something else"
        " (-1 is NATS' own 'unlimited').",
    ),
    "WNS012": Rule(
        "error",
        "Limits age={value} is about {years} years; age must be in seconds,"
        " not milliseconds or nanoseconds",
        "Stream max age is in seconds; a value this large is almost always another unit.",
    ),
    "WNS013": Rule(
        "error",
        "{call} {arg}={value} is about {days} days; {arg} must be in seconds, not milliseconds",
        "Timeouts and retry delays are in seconds; a million or more is almost always"
        " milliseconds.",
    ),
    "WNS014": Rule(
        "error",
        "{call} {arg}=0 {effect}; use at least 1",
        "Zero attempts or zero concurrent jobs means the handler never runs.",
    ),
    "WNS015": Rule(
        "error",
        "{call} {arg} must be a tuple of non-negative seconds, e.g. (1, 2, 4); {problem}",
        "Retry delays are indexed by attempt; anything else fails at the first retry.",
    ),
    "WNS016": Rule(
        "warning",
        "{call} {arg}=0 means no limit on NATS; pass None to say so, or a positive limit",
        "nats-server reads a zero stream limit as unlimited, the opposite of what 0 suggests.",
    ),
    "WNS017": Rule(
        "warning",
        "RetryPolicy jitter={value} is above 1; jitter is a fraction of the delay (0.1 = 10%)",
        "A jitter above 1 spreads a delay by more than the delay itself: retries come at once"
        " or far too late, at random.",
    ),
    "WNS018": Rule(
        "warning",
        "RetryPolicy initial={initial} is above maximum={maximum}; every delay is capped"
        " at maximum, so lower initial or raise maximum",
        "The first delay would already be cut to the cap, so the backoff never grows.",
    ),
    "WNS019": Rule(
        "error",
        "{call} replicas={value} is outside 1 to 5; NATS keeps 1 to 5 copies of a stream"
        " (use 1, 3 or 5)",
        "nats-server rejects a stream with no replicas or more than five.",
    ),
    **_name_rules(21, "actor", "send-receipt"),
    "WNS031": Rule(
        "error",
        'event name "{name}" is already declared at {other}; give each event its own name',
        "Each event owns the stream named after it; two declarations fight over its config.",
    ),
    "WNS032": Rule(
        "error",
        'actor name "{name}" is already declared at {other}; give each actor its own name',
        "An actor name is its durable consumer name; two actors with one name share or"
        " overwrite one consumer and steal each other's messages.",
    ),
    "WNS033": Rule(
        "warning",
        'actor "{actor}" listens to event "{event}", which no Services.add(emits=...) emits;'
        " add the event to the emitting service",
        "Either a service forgot to declare what it emits, or the actor waits for events"
        " that never come.",
    ),
    "WNS034": Rule(
        "warning",
        'event "{name}" has no actor, projection or reactor in the linted files;'
        " consume it or remove it",
        "Nobody reads the event: a missing consumer or a dead declaration.",
    ),
    "WNS035": Rule(
        "error",
        '{kind} name "{name}" is already declared at {other}; give each {kind} its own name',
        "Aggregate names are stream names, projection and reactor names are consumer"
        " names, and a Services registry refuses a second service with the same name.",
    ),
    **_name_rules(41, "{kind}", "orders", with_missing=False),
}
"""Every rule by code. Codes are stable: a retired code is never reused."""


def make_violation(code: str, path: str, line: int, col: int, **fields: object) -> Violation:
    """Build the violation for *code* at 1-based *line* and *col*, filling its template."""
    rule = RULES[code]
    return Violation(path, line, col, code, rule.message.format(**fields), rule.severity)
