"""Evaluating the literal values the rules look at, without running user code.

Arguments are usually literals, sometimes simple arithmetic (``age=60 * 60 * 24``) or a
module-level constant (``DAY = 86400`` then ``age=30 * DAY``). Anything else (calls,
attributes, comprehensions) is unknown, and rules skip unknown values instead of
guessing.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping

__all__ = ["Value", "evaluate", "format_number", "number", "string"]

Value = int | float | str
"""What a literal argument can evaluate to."""

_NUMERIC_OPS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


def _constant(value: object) -> Value | None:
    # bool is an int subclass, but True is never meant as a number of seconds.
    if isinstance(value, bool):
        return None
    return value if isinstance(value, int | float | str) else None


def _binop(op: ast.operator, left: Value, right: Value) -> Value | None:
    if isinstance(left, str) and isinstance(right, str):
        return left + right if isinstance(op, ast.Add) else None
    if isinstance(left, str) or isinstance(right, str):
        return None
    if isinstance(op, ast.Pow):
        # Float power: an int power like 10 ** 10 ** 9 would hang the linter.
        result: object = float(left) ** float(right)
        return result if isinstance(result, float) else None
    function = _NUMERIC_OPS.get(type(op))
    return None if function is None else function(left, right)


def evaluate(node: ast.expr, env: Mapping[str, Value]) -> Value | None:
    """The value of *node* if it is a literal expression, else None.

    *env* maps module-level constant names to their values.
    """
    try:
        return _evaluate(node, env)
    except ArithmeticError:  # division by zero, float overflow
        return None


def _evaluate(node: ast.expr, env: Mapping[str, Value]) -> Value | None:
    if isinstance(node, ast.Constant):
        return _constant(node.value)
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _evaluate(node.operand, env)
        if operand is None or isinstance(operand, str):
            return None
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = _evaluate(node.left, env)
        right = _evaluate(node.right, env)
        return None if left is None or right is None else _binop(node.op, left, right)
    return None


def number(node: ast.expr, env: Mapping[str, Value]) -> int | float | None:
    """The numeric value of *node*, or None when it is not a numeric literal."""
    value = evaluate(node, env)
    return None if value is None or isinstance(value, str) else value


def string(node: ast.expr, env: Mapping[str, Value]) -> str | None:
    """The string value of *node*, or None when it is not a string literal."""
    value = evaluate(node, env)
    return value if isinstance(value, str) else None


def format_number(value: float) -> str:
    """Render *value* as the user would have typed it: ``86400``, ``0.5``, ``1e+18``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)
