"""Rules for the numbers in ``Limits``, ``RetryPolicy``, ``Actor`` and ``Event`` (WNS011 to WNS019).

Units are the usual trap: walnats takes seconds everywhere, while NATS tools and other
clients often show milliseconds or nanoseconds. The thresholds (1e9 s for a stream age,
1e6 s for a timeout or delay) are far beyond any sensible value in seconds and exactly
where a value in another unit lands.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from ._literals import Value, format_number, number

__all__ = ["Finding", "check_numbers"]

Finding = tuple[ast.expr, str, Mapping[str, object]]
"""The offending node, the rule code and the fields of its message."""

_NOT_NUMBERS = frozenset({"name", "event", "handler", "description", "retry_delay", "delays"})
_LIMITS = frozenset(
    {"age", "consumers", "messages", "bytes", "message_size", "messages_per_subject"}
)
_SECONDS = {"actor": ("ack_wait", "job_timeout"), "retry": ("initial", "maximum")}
_MAX_REPLICAS = 5
_ZERO_EFFECT = {
    "max_attempts": "means the handler never runs",
    "max_jobs": "means the actor never starts a job",
}
_AGE_IN_OTHER_UNITS = 1e9
_SECONDS_IN_OTHER_UNITS = 1e6
_YEAR = 365.25 * 86400


def _days(call: str, arg: str, node: ast.expr, value: float) -> Finding:
    fields = {
        "call": call,
        "arg": arg,
        "value": format_number(value),
        "days": f"{value / 86400:,.0f}",
    }
    return node, "WNS013", fields


def _check_limit(call: str, arg: str, node: ast.expr, value: float) -> list[Finding]:
    if arg == "age" and value >= _AGE_IN_OTHER_UNITS:
        years = f"{value / _YEAR:,.0f}"
        return [(node, "WNS012", {"value": format_number(value), "years": years})]
    if arg in _LIMITS and value == 0:
        return [(node, "WNS016", {"call": call, "arg": arg})]
    return []


def _check_event(call: str, arg: str, node: ast.expr, value: float) -> list[Finding]:
    if arg == "duplicate_window" and value >= _SECONDS_IN_OTHER_UNITS:
        return [_days(call, arg, node, value)]
    if arg == "replicas" and not 1 <= value <= _MAX_REPLICAS:
        return [(node, "WNS019", {"call": call, "value": format_number(value)})]
    return []


def _check_handling(kind: str, call: str, arg: str, node: ast.expr, value: float) -> list[Finding]:
    """Actor and RetryPolicy: timeouts in seconds, zero attempts or jobs, jitter."""
    if arg in _SECONDS[kind] and value >= _SECONDS_IN_OTHER_UNITS:
        return [_days(call, arg, node, value)]
    if value == 0 and arg in _ZERO_EFFECT and (kind == "actor" or arg == "max_attempts"):
        return [(node, "WNS014", {"call": call, "arg": arg, "effect": _ZERO_EFFECT[arg]})]
    if kind == "retry" and arg == "jitter" and value > 1:
        return [(node, "WNS017", {"value": format_number(value)})]
    return []


def _check_one(kind: str, call: str, arg: str, node: ast.expr, value: float) -> list[Finding]:
    if value < 0:
        hint = "use a positive number"
        if kind == "limits":
            hint = 'pass None for "no limit", or a positive number'
        fields = {"call": call, "arg": arg, "value": format_number(value), "hint": hint}
        return [(node, "WNS011", fields)]
    if kind == "limits":
        return _check_limit(call, arg, node, value)
    if kind == "event":
        return _check_event(call, arg, node, value)
    return _check_handling(kind, call, arg, node, value)


def _delay_problem(node: ast.expr, env: Mapping[str, Value]) -> str | None:
    """Why *node* is not a sequence of delays, or None when it is (or cannot be known)."""
    if isinstance(node, ast.Set):
        return "got a set, which has no order"
    if isinstance(node, ast.Dict):
        return "got a dict"
    if isinstance(node, ast.Constant) and node.value is not None:
        value = number(node, env)
        if value is not None:
            return f"got the single number {format_number(value)}, use ({format_number(value)},)"
        return f"got {node.value!r}"
    return None


def _check_delays(call: str, arg: str, node: ast.expr, env: Mapping[str, Value]) -> list[Finding]:
    problem = _delay_problem(node, env)
    if problem is not None:
        return [(node, "WNS015", {"call": call, "arg": arg, "problem": problem})]
    if not isinstance(node, ast.Tuple | ast.List):
        return []  # None (the default), a name or a computed value
    findings: list[Finding] = []
    for index, element in enumerate(node.elts):
        value = number(element, env)
        if value is None:
            if isinstance(element, ast.Constant):
                problem = f"element {index} is {element.value!r}"
                findings.append((element, "WNS015", {"call": call, "arg": arg, "problem": problem}))
        elif value < 0:
            problem = f"element {index} is negative ({format_number(value)})"
            findings.append((element, "WNS015", {"call": call, "arg": arg, "problem": problem}))
        elif value >= _SECONDS_IN_OTHER_UNITS:
            findings.append(_days(call, f"{arg}[{index}]", element, value))
    return findings


def check_numbers(
    kind: str, call: str, arguments: Mapping[str, ast.expr], env: Mapping[str, Value]
) -> list[Finding]:
    """Findings for the numeric arguments of a ``limits``, ``retry``, ``actor`` or ``event``
    declaration; *call* is the class name shown in messages."""
    findings: list[Finding] = []
    for arg, node in arguments.items():
        if arg in ("retry_delay", "delays"):
            findings += _check_delays(call, arg, node, env)
            continue
        value = None if arg in _NOT_NUMBERS else number(node, env)
        if value is not None:
            findings += _check_one(kind, call, arg, node, value)
    if kind == "retry" and "initial" in arguments and "maximum" in arguments:
        initial = number(arguments["initial"], env)
        maximum = number(arguments["maximum"], env)
        if initial is not None and maximum is not None and 0 <= maximum < initial:
            fields = {"initial": format_number(initial), "maximum": format_number(maximum)}
            findings.append((arguments["initial"], "WNS018", fields))
    return findings
