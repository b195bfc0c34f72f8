"""Tests for the walnats linter: every rule, import resolution, files, noqa and flake8."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tooling._lint import RULES, Violation, lint_paths, lint_source
from tooling._lint._flake8 import WalnatsChecker
from tooling._lint._names import to_kebab

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "linter.md"

HEADER = """\
from walnats import Actor, Event, Events, Limits, RetryPolicy, Service, Services
from projections import Aggregate, Projection, Reactor
"""
"""Imports every snippet below starts with."""

LONG = "a" * 65
HUGE = "x" * 4097
CROSS_FILE = frozenset({"WNS031", "WNS032", "WNS033", "WNS034", "WNS035"})


def lint(snippet: str) -> list[Violation]:
    """Lint *snippet* (dedented, after HEADER) as a whole application."""
    return lint_source(HEADER + textwrap.dedent(snippet), "app.py")


def codes(snippet: str) -> list[str]:
    """The codes :func:`lint` reports for *snippet*."""
    return [violation.code for violation in lint(snippet)]


def plugin_codes(snippet: str) -> list[str]:
    """The codes the flake8 plugin reports for *snippet*, run in-process."""
    tree = ast.parse(HEADER + textwrap.dedent(snippet))
    return [text.split()[0] for _, _, text, _ in WalnatsChecker(tree, "app.py").run()]


def write(directory: Path, name: str, source: str) -> Path:
    """Write dedented *source* to *directory*/*name*, creating parent folders."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def wns_entry_point_installed() -> bool:
    """True when flake8 can find the plugin through the installed distribution."""
    return any(ep.name == "WNS" for ep in importlib.metadata.entry_points(group="flake8.extension"))


# One snippet per rule and variant that must be reported.
POSITIVE = [
    ("WNS001", 'Event("", int, description="d")'),
    ("WNS002", f'Event("{LONG}", int, description="d")'),
    ("WNS003", 'Event("order placed", int, description="d")'),
    ("WNS003", 'Event("order.placed", int, description="d")'),
    ("WNS003", 'Event("orders.*", int, description="d")'),
    ("WNS003", 'Event("orders>", int, description="d")'),
    ("WNS003", 'Event("orders/placed", int, description="d")'),
    ("WNS003", 'Event("orders\\\\placed", int, description="d")'),
    ("WNS004", 'Event("OrderPlaced", int, description="d")'),
    ("WNS004", 'Event("order_placed", int, description="d")'),
    ("WNS004", 'Event("order--placed", int, description="d")'),
    ("WNS004", 'Event("-order", int, description="d")'),
    ("WNS005", 'Event("a", int, description="")'),
    ("WNS005", 'Event("a", int, description="   ")'),
    ("WNS006", f'Event("a", int, description="{HUGE}")'),
    ("WNS007", 'Event("a", int)'),
    ("WNS007", 'Event("a", int, description=None)'),
    ("WNS008", 'Event("nul", int, description="d")'),
    ("WNS011", "Limits(age=-1)"),
    ("WNS011", "Limits(messages=-5)"),
    ("WNS011", "RetryPolicy(initial=-0.5)"),
    ("WNS011", 'Actor("a", E, h, description="d", ack_wait=-1)'),
    ("WNS011", 'Event("a", int, description="d", duplicate_window=-1)'),
    ("WNS012", "Limits(age=86400 * 1000 * 1000)"),
    ("WNS012", "Limits(age=1e9)"),
    ("WNS013", 'Actor("a", E, h, description="d", ack_wait=30_000_000)'),
    ("WNS013", 'Actor("a", E, h, description="d", job_timeout=1e6)'),
    ("WNS013", "RetryPolicy(maximum=60_000_000)"),
    ("WNS013", "RetryPolicy(delays=(1, 2_000_000))"),
    ("WNS013", 'Event("a", int, description="d", duplicate_window=120_000_000)'),
    ("WNS014", 'Actor("a", E, h, description="d", max_attempts=0)'),
    ("WNS014", 'Actor("a", E, h, description="d", max_jobs=0)'),
    ("WNS014", "RetryPolicy(max_attempts=0)"),
    ("WNS014", "RetryPolicy(0)"),
    ("WNS015", 'Actor("a", E, h, description="d", retry_delay=5)'),
    ("WNS015", 'Actor("a", E, h, description="d", retry_delay=(1, -1))'),
    ("WNS015", "RetryPolicy(delays={1, 2})"),
    ("WNS015", 'RetryPolicy(delays="1,2")'),
    ("WNS015", 'RetryPolicy(delays=(1, "2"))'),
    ("WNS015", "RetryPolicy(delays={1: 2})"),
    ("WNS015", "RetryPolicy(delays=[1, None])"),
    ("WNS016", "Limits(messages=0)"),
    ("WNS016", "Limits(age=0)"),
    ("WNS017", "RetryPolicy(jitter=1.5)"),
    ("WNS018", "RetryPolicy(initial=10, maximum=5)"),
    ("WNS019", 'Event("a", int, description="d", replicas=7)'),
    ("WNS019", 'Event("a", int, description="d", replicas=0)'),
    ("WNS021", 'Actor("", E, h, description="d")'),
    ("WNS022", f'Actor("{LONG}", E, h, description="d")'),
    ("WNS023", 'Actor("send email", E, h, description="d")'),
    ("WNS024", 'Actor("SendEmail", E, h, description="d")'),
    ("WNS025", 'Actor("a", E, h, description="")'),
    ("WNS026", f'Actor("a", E, h, description="{HUGE}")'),
    ("WNS027", 'Actor("a", E, h)'),
    ("WNS028", 'Actor("com1", E, h, description="d")'),
    ("WNS041", 'Aggregate("")'),
    ("WNS042", f'Projection("{LONG}")'),
    ("WNS043", 'Reactor("a.b")'),
    ("WNS044", 'Aggregate("Orders")'),
    ("WNS045", 'Projection("p", description="")'),
    ("WNS046", f'Reactor("r", description="{HUGE}")'),
    ("WNS048", 'Aggregate("aux")'),
    ("WNS043", 'Service("order service")'),
    ("WNS044", 'Services().add("OrderService")'),
    ("WNS045", 'Services().add("orders", description="")'),
]

# One snippet per rule that looks close to a violation but must not be reported.
NEGATIVE = [
    ("WNS001", 'Event(name_from_config(), int, description="d")'),
    ("WNS002", f'Event("{"a" * 64}", int, description="d")'),
    ("WNS003", 'Event("order-placed", int, description="d")'),
    ("WNS004", 'Event("order-placed-v2", int, description="d")'),
    ("WNS004", 'Event(f"{prefix}OrderPlaced", int, description="d")'),
    ("WNS005", 'Event("a", int, description=load_description())'),
    ("WNS006", f'Event("a", int, description="{"x" * 4096}")'),
    ("WNS007", 'Event("a", int, description="d")'),
    ("WNS007", 'Event("a", int, **options)'),
    ("WNS007", 'Event("a", int, None, "positional description")'),
    ("WNS008", 'Event("nullable", int, description="d")'),
    ("WNS011", "Limits(age=-max_age)"),
    ("WNS011", "Limits(age=60 * 60 * 24)"),
    ("WNS012", "Limits(age=86400 * 365 * 10)"),
    ("WNS013", 'Actor("a", E, h, description="d", ack_wait=999_999)'),
    ("WNS013", 'Actor("a", E, h, description="d", job_timeout=600, ack_wait=30)'),
    ("WNS014", 'Actor("a", E, h, description="d", max_attempts=1, max_jobs=None)'),
    ("WNS015", 'Actor("a", E, h, description="d", retry_delay=(0, 1.5, 2))'),
    ("WNS015", 'Actor("a", E, h, description="d", retry_delay=[1, later])'),
    ("WNS015", "RetryPolicy(delays=None)"),
    ("WNS015", "RetryPolicy(delays=DELAYS)"),
    ("WNS016", "Limits(messages=None, bytes=1)"),
    ("WNS017", "RetryPolicy(jitter=1)"),
    ("WNS018", "RetryPolicy(initial=5, maximum=5)"),
    ("WNS019", 'Event("a", int, description="d", replicas=3)'),
    ("WNS027", 'Actor("a", E, h, description="d")'),
    ("WNS044", 'Aggregate("orders")'),
    ("WNS045", 'Projection("p", description="d")'),
]


@pytest.mark.parametrize(("code", "snippet"), POSITIVE)
def test_lint_source__reports_rule(code: str, snippet: str) -> None:
    """Each rule fires on the snippet written to break it."""
    assert code in codes(snippet)


@pytest.mark.parametrize(("code", "snippet"), NEGATIVE)
def test_lint_source__does_not_report_rule(code: str, snippet: str) -> None:
    """A snippet close to a violation but correct (or not computable) is not reported."""
    assert code not in codes(snippet)


@pytest.mark.parametrize(("code", "snippet"), POSITIVE)
def test_flake8_plugin__reports_rule(code: str, snippet: str) -> None:
    """The flake8 plugin reports the same per-file rules as lint_source."""
    assert code in plugin_codes(snippet)


@pytest.mark.parametrize(("code", "snippet"), NEGATIVE)
def test_flake8_plugin__does_not_report_rule(code: str, snippet: str) -> None:
    """The flake8 plugin stays silent where lint_source does."""
    assert code not in plugin_codes(snippet)


def test_rules__every_code_has_a_positive_test() -> None:
    """No rule ships without a snippet that triggers it (cross-file rules are tested below)."""
    tested = {code for code, _ in POSITIVE} | CROSS_FILE | {"WNS000"}
    assert set(RULES) == tested


def test_lint_source__clean_application_has_no_violations() -> None:
    """A well-formed application produces no violations at all."""
    snippet = """
        DAY = 60 * 60 * 24
        ORDER_PLACED = Event(
            "order-placed",
            int,
            description="A customer placed an order.",
            limits=Limits(age=30 * DAY, messages=1_000_000),
        )
        SEND_RECEIPT = Actor(
            "send-receipt",
            ORDER_PLACED,
            print,
            description="Emails the receipt.",
            ack_wait=30,
            job_timeout=120,
            retry_delay=(1, 2, 4),
        )
        POLICY = RetryPolicy(max_attempts=5, initial=0.5, maximum=60, jitter=0.1)
        services = Services().add("shop", emits=Events(ORDER_PLACED))
    """
    assert lint(snippet) == []


def test_lint_source__message_suggests_kebab_case() -> None:
    """WNS004 says what to use instead, at the position of the name argument."""
    (violation,) = lint_source(
        'from walnats import Event\nEvent("OrderPlaced", int, description="d")'
    )
    expected = '<string>:2:7 WNS004 event name "OrderPlaced" is not kebab-case; use "order-placed"'
    assert str(violation) == expected
    assert violation.severity == "error"


def test_lint_source__forbidden_characters_listed_without_kebab_report() -> None:
    """WNS003 names every forbidden character and replaces the kebab-case report."""
    (violation,) = lint('Event("order placed.v2", int, description="d")')
    assert violation.code == "WNS003"
    assert violation.message == (
        'event name "order placed.v2" contains whitespace, "."; use "order-placed-v2"'
    )


def test_lint_source__control_characters_escaped_in_messages() -> None:
    """A newline in a name does not break the one-line output."""
    (violation,) = lint('Event("order\\nplaced", int, description="d")')
    assert "\n" not in str(violation)
    assert 'event name "order\\nplaced"' in violation.message


def test_lint_source__missing_description_is_a_warning() -> None:
    """WNS007 is a warning that names the event."""
    (violation,) = lint('Event("order-placed", int)')
    assert violation.severity == "warning"
    assert violation.message == (
        'event "order-placed" has no description; add description="..." for the docs'
    )


def test_lint_source__numeric_messages_name_the_unit() -> None:
    """Unit rules print the value, the magnitude and the expected unit."""
    found = lint(
        """
        Limits(age=2_592_000_000, messages=-1)
        Actor("a", E, h, description="d", ack_wait=30_000_000)
        """
    )
    assert [str(v).split(" ", 1)[1] for v in found] == [
        (
            "WNS012 Limits age=2592000000 is about 82 years; age must be in seconds,"
            " not milliseconds or nanoseconds"
        ),
        'WNS011 Limits messages=-1 is negative; pass None for "no limit", or a positive number',
        (
            "WNS013 Actor ack_wait=30000000 is about 347 days; ack_wait must be in seconds,"
            " not milliseconds"
        ),
    ]


def test_lint_source__retry_delay_problems_explained() -> None:
    """WNS015 says what is wrong with the delays."""
    messages = [v.message for v in lint('RetryPolicy(delays=5)\nRetryPolicy(delays=(1, -2, "x"))')]
    suffix = "must be a tuple of non-negative seconds, e.g. (1, 2, 4); "
    assert messages == [
        f"RetryPolicy delays {suffix}got the single number 5, use (5,)",
        f"RetryPolicy delays {suffix}element 1 is negative (-2)",
        f"RetryPolicy delays {suffix}element 2 is 'x'",
    ]


def test_lint_source__positional_arguments_mapped_in_order() -> None:
    """Positional arguments land on the parameter of the same position."""
    assert codes('Actor("a", E, h, "desc", 16, 0)') == ["WNS014"]
    assert codes("Limits(-1)") == ["WNS011"]
    assert codes("RetryPolicy(5, None, 10, 2.0, 5)") == ["WNS018"]


def test_lint_source__module_constants_are_followed() -> None:
    """Module-level constants and arithmetic are evaluated; function locals are not."""
    snippet = """
        DAY = 86_400
        Limits(age=DAY * 1_000_000)
        def build():
            WEEK = -1
        Limits(age=WEEK)
    """
    assert codes(snippet) == ["WNS012"]


def test_lint_source__string_constants_are_followed() -> None:
    """A name held in a constant or concatenated is checked."""
    assert codes('NAME = "Order" + "Placed"\nEvent(NAME, int, description="d")') == ["WNS004"]


def test_lint_source__job_timeout_above_ack_wait_allowed() -> None:
    """job_timeout > ack_wait is fine: in-progress pulses keep the message."""
    assert codes('Actor("a", E, h, description="d", ack_wait=10, job_timeout=600)') == []


# --- import resolution ------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        'import walnats\nwalnats.Event("Bad", int, description="d")',
        'import walnats as w\nw.Event("Bad", int, description="d")',
        'from walnats import Event as E\nE("Bad", int, description="d")',
        'from walnats import *\nEvent("Bad", int, description="d")',
        'from walnats._events._event import Event\nEvent("Bad", int, description="d")',
        'import walnats._events as ev\nev.Event("Bad", int, description="d")',
        'import walnats.testing\nwalnats.Event("Bad", int, description="d")',
        'import walnats\nMake = walnats.Event\nMake("Bad", int, description="d")',
        'from walnats import EventWithResponse\nEventWithResponse("Bad", int, description="d")',
        'def f():\n    from walnats import Event\n    Event("Bad", int, description="d")',
    ],
)
def test_imports__walnats_event_resolved(source: str) -> None:
    """An Event is recognised however walnats was imported."""
    assert [v.code for v in lint_source(source)] == ["WNS004"]


def test_imports__projections_alias_resolved() -> None:
    """Event-sourcing declarations are recognised through an alias."""
    source = 'from projections import Aggregate as Agg\nAgg("Orders")'
    assert [v.code for v in lint_source(source)] == ["WNS044"]


@pytest.mark.parametrize(
    "source",
    [
        'class Event:\n    pass\nEvent("Bad Name")',
        'from mylib import Event\nEvent("Bad Name")',
        'import mylib\nmylib.Event("Bad Name")',
        'from walnats import Event\nclass Event:\n    pass\nEvent("Bad Name")',
        'from walnats import Event\ndef Event(name):\n    pass\nEvent("Bad Name")',
        'from walnats import Event\nEvent = make_event\nEvent("Bad Name")',
        'from .walnats import Event\nEvent("Bad Name")',
        'Event("Bad Name")',
    ],
)
def test_imports__foreign_event_not_linted(source: str) -> None:
    """A user's own Event, or one from another package, is never linted."""
    assert lint_source(source) == []


# --- across files -----------------------------------------------------------------------


def test_lint_paths__duplicate_event_names_across_files(tmp_path: Path) -> None:
    """WNS031 points at the second declaration and names the first."""
    first = write(
        tmp_path, "a.py", 'from walnats import Event\nA = Event("paid", int, description="d")\n'
    )
    second = write(
        tmp_path, "b.py", 'import walnats\nB = walnats.Event("paid", int, description="d")\n'
    )
    (violation,) = lint_paths([tmp_path])
    assert violation.path == str(second)
    assert (violation.line, violation.col, violation.code) == (2, 19, "WNS031")
    assert violation.message == (
        f'event name "paid" is already declared at {first}:2; give each event its own name'
    )


def test_lint_paths__same_file_given_twice_linted_once(tmp_path: Path) -> None:
    """A file reached twice does not duplicate its own declarations."""
    path = write(
        tmp_path, "a.py", 'from walnats import Event\nA = Event("paid", int, description="d")\n'
    )
    assert lint_paths([path, tmp_path, str(path)]) == []


def test_lint_source__duplicate_actor_and_projection_names() -> None:
    """WNS032 and WNS035 report reused consumer names."""
    snippet = """
        Actor("send", E, h, description="d")
        Actor("send", F, h, description="d")
        Projection("totals")
        Projection("totals")
        Reactor("totals")
    """
    assert codes(snippet) == ["WNS032", "WNS035"]
    assert lint(snippet)[1].message == (
        'projection name "totals" is already declared at app.py:6;'
        " give each projection its own name"
    )


def test_lint_source__duplicate_service_names() -> None:
    """Two services with one name in a registry are reported as WNS035."""
    (violation,) = lint('services = Services().add("shop")\nservices.add("shop")')
    assert violation.code == "WNS035"
    assert violation.message.startswith('service name "shop" is already declared at app.py:3')


def test_lint_source__aggregate_events_compared_per_aggregate() -> None:
    """Events of different aggregates may share a name; within one they may not."""
    snippet = """
        ORDER_CREATED = Event("created", int, description="d")
        USER_CREATED = Event("created", int, description="d")
        Aggregate("order", events=[ORDER_CREATED])
        Aggregate("user", events=[USER_CREATED])
        Event("shipped", int, description="d", aggregate="order")
        Event("shipped", int, description="d", aggregate="order")
    """
    assert codes(snippet) == ["WNS031"]


SHOP = """\
from walnats import Event, Actor, Services, Events
ORDER_PLACED = Event("order-placed", int, description="d")
ORDER_PAID = Event("order-paid", int, description="d")
"""


def test_lint_paths__event_not_emitted(tmp_path: Path) -> None:
    """WNS033 follows module attributes across files to the event declaration."""
    write(tmp_path, "shop/events.py", SHOP)
    actors = """\
        from walnats import Actor, Events, Services
        from shop import events
        SHIP = Actor("ship", events.ORDER_PAID, print, description="d")
        NOTE = Actor("note", events.ORDER_PLACED, print, description="d")
        services = Services().add("shop", emits=Events(events.ORDER_PLACED))
    """
    path = write(tmp_path, "shop/actors.py", actors)
    (violation,) = lint_paths([tmp_path])
    assert str(violation) == (
        f'{path}:3:14 WNS033 actor "ship" listens to event "order-paid", which no'
        " Services.add(emits=...) emits; add the event to the emitting service"
    )


@pytest.mark.parametrize(
    "emits",
    [
        "Events(ORDER_PLACED, ORDER_PAID)",
        "[ORDER_PLACED, ORDER_PAID]",
        "SHOP_EVENTS",
        "Events(*ALL)",
        "ALIAS_OF_GROUP",
    ],
)
def test_lint_source__emitted_through_groups(emits: str) -> None:
    """Events emitted through Events(...), lists, group variables and aliases count."""
    source = f"""{SHOP}
SHOP_EVENTS = Events(ORDER_PLACED, ORDER_PAID)
ALL = [ORDER_PLACED, ORDER_PAID]
ALIAS_OF_GROUP = SHOP_EVENTS
PAID = ORDER_PAID
Actor("a", ORDER_PLACED, print, description="d")
Actor("b", PAID.with_response(int), print, description="d")
services = Services()
services.add("shop", emits={emits}).add("other")
"""
    assert lint_source(source) == []


def test_lint_source__service_declaration_emits() -> None:
    """``Service(name, emits=...)`` declares emitted events like ``Services.add``."""
    source = f"{SHOP}from walnats import Service\n"
    source += 'Actor("a", ORDER_PLACED, print, description="d")\n'
    source += 'Actor("b", ORDER_PAID, print, description="d")\n'
    source += 'Services(Service("shop", emits=Events(ORDER_PLACED)))\n'
    assert [v.code for v in lint_source(source)] == ["WNS033"]


@pytest.mark.parametrize("emits", ["build_events()", "UNKNOWN_REGISTRY", "Events(*computed())"])
def test_lint_source__unfollowable_emits_silences_wns033(emits: str) -> None:
    """WNS033 does not guess when emits= cannot be followed."""
    source = f'{SHOP}\nActor("a", ORDER_PLACED, print, description="d")\n'
    source += (
        f'Actor("b", ORDER_PAID, print, description="d")\nServices().add("s", emits={emits})\n'
    )
    assert [v.code for v in lint_source(source)] == []


def test_lint_source__flow_rules_need_services() -> None:
    """Without any Services.add, WNS033 and WNS034 stay silent."""
    source = f'{SHOP}\nActor("a", ORDER_PLACED, print, description="d")\n'
    assert lint_source(source) == []


def test_lint_source__event_not_consumed() -> None:
    """WNS034 reports an event no actor, projection or reactor consumes."""
    source = f'{SHOP}\nActor("a", ORDER_PLACED, print, description="d")\n'
    source += "Services().add('s', emits=[ORDER_PLACED, ORDER_PAID])\n"
    (violation,) = lint_source(source, "shop.py")
    assert str(violation) == (
        'shop.py:3:20 WNS034 event "order-paid" has no actor, projection or reactor in the'
        " linted files; consume it or remove it"
    )
    assert violation.severity == "warning"


@pytest.mark.parametrize(
    "consumer",
    [
        'Projection("totals", handlers={ORDER_PAID: print})',
        'Reactor("mailer", events.ORDER_PAID)',
        'Actor("a", Event("order-paid", int, description="d"), print, description="d")',
        'Actor("a", pick_event(), print, description="d")',
    ],
)
def test_lint_source__consumed_by_projection_reactor_or_unknown(consumer: str) -> None:
    """Projection and reactor arguments consume events; an unfollowable actor event mutes WNS034."""
    source = f"{SHOP}from projections import Projection, Reactor\n"
    source += f'Actor("a", ORDER_PLACED, print, description="d")\n{consumer}\n'
    source += "Services().add('s', emits=[ORDER_PLACED, ORDER_PAID])\n"
    assert [v.code for v in lint_source(source) if v.code == "WNS034"] == []


def test_lint_paths__import_alias_resolves_event(tmp_path: Path) -> None:
    """``from module import EVENT as OTHER`` refers to EVENT's declaration."""
    write(tmp_path, "shop/events.py", SHOP)
    actors = """\
        from walnats import Actor, Services
        from shop.events import ORDER_PAID as PAID, ORDER_PLACED
        Actor("a", PAID, print, description="d")
        Actor("b", ORDER_PLACED, print, description="d")
        Services().add("shop", emits=[PAID, ORDER_PLACED])
    """
    write(tmp_path, "shop/actors.py", actors)
    assert lint_paths([tmp_path]) == []


# --- files, noqa and output -------------------------------------------------------------


def test_lint_paths__walks_directories_and_skips_tooling_folders(tmp_path: Path) -> None:
    """Python files are found recursively; hidden, build and virtualenv folders are not."""
    bad = 'from walnats import Event\nEvent("Bad", int, description="d")\n'
    kept = [write(tmp_path, "app.py", bad), write(tmp_path, "pkg/sub/mod.py", bad)]
    for skipped in [".venv/x.py", ".git/x.py", "build/x.py", "dist/x.py", "env2/x.py"]:
        write(tmp_path, skipped, bad)
    (tmp_path / "env2" / "pyvenv.cfg").write_text("home = /usr\n")
    write(tmp_path, "notes.txt", bad)
    assert sorted({v.path for v in lint_paths([tmp_path])}) == [str(path) for path in kept]


def test_lint_paths__accepts_a_single_path(tmp_path: Path) -> None:
    """A lone path is linted as one path, not as a sequence of characters."""
    path = write(tmp_path, "app.py", 'from walnats import Event\nEvent("Bad", int)\n')
    assert lint_paths(str(path)) == lint_paths([path])


def test_lint_paths__explicit_hidden_file_is_linted(tmp_path: Path) -> None:
    """A file named on the command line is linted even inside a skipped folder."""
    path = write(tmp_path, ".venv/app.py", 'from walnats import Event\nEvent("Bad", int)\n')
    assert [v.code for v in lint_paths([path])] == ["WNS007", "WNS004"]


def test_lint_paths__syntax_error_is_a_violation(tmp_path: Path) -> None:
    """A file that does not parse yields WNS000 at the error; other files are still linted."""
    broken = write(tmp_path, "a.py", "def broken(:\n")
    write(tmp_path, "b.py", 'from walnats import Event\nEvent("Bad", int, description="d")\n')
    found = lint_paths([tmp_path])
    assert [v.code for v in found] == ["WNS000", "WNS004"]
    assert found[0].path == str(broken)
    assert found[0].line == 1
    assert found[0].message == (
        "cannot lint this file: invalid syntax; fix it so that Python can read and parse it"
    )


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (b"x = '\xff'\n", "invalid or missing encoding declaration;"),
        (b"x = 1\ny = '\xff'\n", "it is not valid text in its encoding (UTF-8 unless declared)"),
        (b"x = 1\x00\n", "null bytes"),
    ],
)
def test_lint_paths__unreadable_file_is_a_violation(
    tmp_path: Path, content: bytes, text: str
) -> None:
    """Undecodable bytes and null bytes yield WNS000 instead of an exception."""
    path = tmp_path / "bad.py"
    path.write_bytes(content)
    (violation,) = lint_paths([path])
    assert violation.code == "WNS000"
    assert text in violation.message


def test_lint_paths__missing_path_is_a_violation(tmp_path: Path) -> None:
    """A path that does not exist is reported, not ignored."""
    (violation,) = lint_paths([tmp_path / "missing.py"])
    assert violation.code == "WNS000"
    assert "no such file or directory" in violation.message


def test_lint_source__syntax_warning_does_not_escape() -> None:
    """An invalid escape in user code does not raise under filterwarnings=error."""
    assert lint_source('import re\nre.compile("\\d")\n') == []


@pytest.mark.parametrize(
    ("comment", "kept"),
    [
        ("# noqa: WNS004", ["WNS007"]),
        ("# noqa:WNS004,WNS007", []),
        ("# NOQA: wns004 wns007", []),
        ("# noqa", []),
        ("# noqa: WNS0", []),
        ("# noqa: E501", ["WNS007", "WNS004"]),
    ],
)
def test_lint_source__noqa_suppresses_listed_codes(comment: str, kept: list[str]) -> None:
    """``# noqa`` silences the listed codes (or all) on its line, like flake8."""
    assert codes(f'Event("Bad", int)  {comment}') == kept


def test_lint_paths__same_result_as_lint_source(tmp_path: Path) -> None:
    """lint_paths on one file equals lint_source on its text."""
    source = HEADER + 'A = Event("Bad", int)\nActor("x", A, h)\nServices().add("s")\n'
    path = write(tmp_path, "app.py", source)
    assert lint_paths([path]) == lint_source(source, str(path))


def test_violation__str_and_order() -> None:
    """A violation prints as path:line:col CODE message and sorts by position."""
    late = Violation("a.py", 3, 1, "WNS004", "m", "error")
    early = Violation("a.py", 2, 9, "WNS007", "m", "warning")
    assert str(late) == "a.py:3:1 WNS004 m"
    assert sorted([late, early]) == [early, late]


@pytest.mark.parametrize(
    ("name", "kebab"),
    [
        ("OrderPlaced", "order-placed"),
        ("order_placed", "order-placed"),
        ("order.placed", "order-placed"),
        ("HTTPRequestSent", "http-request-sent"),
        ("orderV2", "order-v2"),
        ("  Order  Placed!  ", "order-placed"),
        ("***", ""),
    ],
)
def test_to_kebab__converts(name: str, kebab: str) -> None:
    """Suggestions turn common spellings into kebab-case."""
    assert to_kebab(name) == kebab


# --- rule table and docs ----------------------------------------------------------------


def test_rules__codes_and_templates_well_formed() -> None:
    """Every rule has a WNSnnn code, a known severity, and a template that formats."""
    for code, rule in RULES.items():
        assert re.fullmatch(r"WNS\d{3}", code)
        assert rule.severity in ("error", "warning")
        assert rule.why.endswith(".")
        fields = re.findall(r"{(\w+)}", rule.message)
        assert rule.message.format(**dict.fromkeys(fields, "x"))


def test_docs__every_rule_documented_with_its_message() -> None:
    """docs/linter.md has a table row with each code, its severity, message and reason."""
    rows = {
        match.group(1): line
        for line in DOCS.read_text(encoding="utf-8").splitlines()
        if (match := re.match(r"\| (WNS\d{3}) \|", line))
    }
    for code, rule in RULES.items():
        assert code in rows, f"{code} has no row in docs/linter.md"
        assert f"| {rule.severity} |" in rows[code], code
        assert f"`{rule.message}` | {rule.why} |" in rows[code], code


def test_docs__no_unknown_codes() -> None:
    """docs/linter.md mentions no code the linter does not have."""
    mentioned = set(re.findall(r"WNS\d{3}", DOCS.read_text(encoding="utf-8")))
    assert mentioned <= set(RULES)


# --- flake8 -----------------------------------------------------------------------------


def test_flake8_plugin__yields_flake8_tuples() -> None:
    """run() yields (line, 0-based column, "CODE message", checker type)."""
    tree = ast.parse('from walnats import Event\nEvent("Bad", int, description="d")\n')
    checker = WalnatsChecker(tree, "app.py")
    assert list(checker.run()) == [
        (2, 6, 'WNS004 event name "Bad" is not kebab-case; use "bad"', WalnatsChecker)
    ]
    assert WalnatsChecker.name == "walnats"
    assert isinstance(WalnatsChecker.version, str)


def test_flake8_plugin__skips_cross_file_rules() -> None:
    """flake8 sees one file, so duplicates are left to walnats lint."""
    snippet = 'Event("a", int, description="d")\nEvent("a", int, description="d")\n'
    assert plugin_codes(snippet) == []
    assert codes(snippet) == ["WNS031"]


FLAKE8_SOURCE = 'from walnats import Event\nEvent("Bad", int)  # noqa: WNS007\n'
FLAKE8_EXPECTED = 'app.py:2:7: WNS004 event name "Bad" is not kebab-case; use "bad"\n'


def run_flake8(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run flake8 from this interpreter in *cwd* on app.py, with only WNS selected."""
    (cwd / "app.py").write_text(FLAKE8_SOURCE, encoding="utf-8")
    command = [sys.executable, "-m", "flake8", "--select", "WNS", *args, "app.py"]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.skipif(
    not wns_entry_point_installed(),
    reason="walnats is not installed, so flake8 has no WNS entry point; run `pip install -e .`",
)
def test_flake8_plugin__runs_through_entry_point(tmp_path: Path) -> None:
    """flake8 finds the installed plugin, reports WNS codes and honours noqa."""
    result = run_flake8(tmp_path, "--isolated")
    assert result.stdout == FLAKE8_EXPECTED
    assert result.returncode == 1


@pytest.mark.skipif(
    wns_entry_point_installed(),
    reason="the WNS entry point is installed; a local plugin would be loaded twice",
)
def test_flake8_plugin__runs_as_local_plugin(tmp_path: Path) -> None:
    """Without an installed distribution, flake8 loads the checker as a local plugin."""
    config = tmp_path / "flake8.cfg"
    config.write_text(
        "[flake8:local-plugins]\n"
        "extension =\n    WNS = tooling._lint._flake8:WalnatsChecker\n"
        f"paths = {ROOT}\n",
        encoding="utf-8",
    )
    result = run_flake8(tmp_path, "--config", str(config))
    assert result.stdout == FLAKE8_EXPECTED
    assert result.returncode == 1
