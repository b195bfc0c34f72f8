"""The per-module pass: one walk over a module's AST that checks every declaration.

It reports the per-file rules (everything except WNS031 to WNS035) and records the
:class:`~._facts.ModuleFacts` the cross-file rules need. The flake8 plugin uses only the
violations; ``lint_paths`` uses both.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from ._facts import Declaration, ModuleFacts, Ref
from ._imports import ImportTable
from ._literals import Value, evaluate, string
from ._names import check_description, check_name
from ._numbers import check_numbers
from ._rules import make_violation
from ._signatures import PARAMS, BoundCall, bind
from ._violation import Violation

__all__ = ["check_module"]

_FIRST_CODE = {
    "event": 1,
    "actor": 21,
    "aggregate": 41,
    "projection": 41,
    "reactor": 41,
    "service": 41,
}
"""Declaration kind → the first code of its name and description rules."""


def _unwrap(expr: ast.expr) -> ast.expr:
    """``EVENT.with_response(R)`` is the same event as ``EVENT``."""
    while (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "with_response"
    ):
        expr = expr.func.value
    return expr


class _ModuleVisitor(ast.NodeVisitor):
    """Walks statements in source order so that imports and constants are known in time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.imports = ImportTable()
        self.env: dict[str, Value] = {}
        self.violations: list[Violation] = []
        self.facts = ModuleFacts(path)
        self._declared: dict[ast.Call, Declaration] = {}
        self._services_vars: set[str] = set()
        self._function_depth = 0

    def _report(self, node: ast.expr, code: str, **fields: object) -> None:
        line, col = node.lineno, node.col_offset + 1
        self.violations.append(make_violation(code, self.path, line, col, **fields))

    # --- bindings -------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        self.imports.add_import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.imports.add_import_from(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.imports.bind(node.name, None)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.imports.bind(node.name, None)
        # Constants assigned inside functions are locals, not module constants.
        self._function_depth += 1
        self.generic_visit(node)
        self._function_depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._assign(target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._assign(node.target, node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.generic_visit(node)
        if isinstance(node.target, ast.Name):
            self.env.pop(node.target.id, None)

    def _assign(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            values = value.elts if isinstance(value, ast.Tuple | ast.List) else []
            if len(values) != len(target.elts):
                values = [ast.Constant(None)] * len(target.elts)
            for sub_target, sub_value in zip(target.elts, values, strict=True):
                self._assign(sub_target, sub_value)
            return
        if not isinstance(target, ast.Name):
            self.visit(target)  # subscripts and attributes may hold calls
            return
        name = target.id
        is_alias = isinstance(value, ast.Name | ast.Attribute)
        self.imports.bind(name, self.imports.qualified_name(value) if is_alias else None)
        constant = evaluate(value, self.env) if self._function_depth == 0 else None
        if constant is None:
            self.env.pop(name, None)
        else:
            self.env[name] = constant
        self._record_variable(name, _unwrap(value))

    def _record_variable(self, name: str, value: ast.expr) -> None:
        """Remember what *name* holds when it is an event, a group of events or Services."""
        if self._is_services(value):
            self._services_vars.add(name)
        if isinstance(value, ast.Call) and value in self._declared:
            self._declared[value].var = name
        elif isinstance(value, ast.Call) and self.imports.kind(value.func) == "events":
            self.facts.groups[name] = self._members(value.args)
        elif isinstance(value, ast.List | ast.Tuple | ast.Set):
            self.facts.groups[name] = self._members(value.elts)
        elif isinstance(value, ast.Name | ast.Attribute):
            self.facts.groups[name] = [replace(self._ref(value), alias=True)]

    # --- references -----------------------------------------------------------------

    def _ref(self, expr: ast.expr, *, strict: bool = False) -> Ref:
        """A reference to the event(s) *expr* names; opaque when it cannot be followed."""
        expr = _unwrap(expr)
        if isinstance(expr, ast.Call) and expr in self._declared:
            return Ref(decl=self._declared[expr])
        if isinstance(expr, ast.Attribute):
            return Ref(var=expr.attr, strict=strict)
        if isinstance(expr, ast.Name):
            # `from app.events import ORDER_PLACED as PLACED` refers to ORDER_PLACED.
            qualified = self.imports.qualified_name(expr)
            var = expr.id if qualified is None else qualified.rpartition(".")[2]
            return Ref(var=var, strict=strict)
        return Ref()

    def _members(self, elements: list[ast.expr]) -> list[Ref]:
        """References to the members of ``Events(...)`` or a list; ``*ALL`` must resolve."""
        return [
            self._ref(element.value, strict=True)
            if isinstance(element, ast.Starred)
            else self._ref(element)
            for element in elements
        ]

    def _collect(self, expr: ast.expr, found: list[Ref]) -> None:
        """Every name inside *expr* that may be an event (projection and reactor arguments)."""
        expr = _unwrap(expr)
        if isinstance(expr, ast.Name | ast.Attribute) or (
            isinstance(expr, ast.Call) and expr in self._declared
        ):
            found.append(self._ref(expr))
            return
        for child in ast.iter_child_nodes(expr):
            value = child.value if isinstance(child, ast.keyword) else child
            if isinstance(value, ast.expr):
                self._collect(value, found)

    def _is_services(self, expr: ast.expr) -> bool:
        """``Services()``, ``Services().add(...)`` chains, or a variable holding one."""
        if isinstance(expr, ast.Name):
            return expr.id in self._services_vars
        if not isinstance(expr, ast.Call):
            return False
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr == "add":
            return self._is_services(func.value)
        return self.imports.kind(func) == "services"

    # --- declarations ---------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        # Children first, so inline declarations (Actor("a", Event(...), h)) are known.
        self.generic_visit(node)
        kind = self.imports.kind(node.func)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "add" and self._is_services(func.value):
            kind = "service"  # Services().add(name, ...) declares a Service
            bound = bind(node, ("name",))
        elif kind is not None:
            bound = bind(node, PARAMS[kind])
        else:
            return
        if kind in _FIRST_CODE:
            self._declaration(kind, node, bound)
        if kind in ("actor", "limits", "retry", "event"):
            call = str(self.imports.qualified_name(node.func)).rpartition(".")[2]
            for expr, code, fields in check_numbers(kind, call, bound.arguments, self.env):
                self._report(expr, code, **fields)
        if kind == "service":
            self._service(bound)

    def _declaration(self, kind: str, call: ast.Call, bound: BoundCall) -> None:
        name_node = bound.arguments.get("name")
        name = None if name_node is None else string(name_node, self.env)
        self._check_texts(kind, call, bound)
        anchor = name_node or call
        declaration = Declaration(kind, name, self.path, anchor.lineno, anchor.col_offset + 1)
        if kind == "event" and "aggregate" in bound.arguments:
            declaration.aggregate = string(bound.arguments["aggregate"], self.env)
        elif kind == "actor":
            event = bound.arguments.get("event")
            if event is not None:
                declaration.refs.append(self._ref(event))
            elif bound.open:
                declaration.refs.append(Ref())
        elif kind in ("aggregate", "projection", "reactor"):
            # Any argument may name their events: events=[...], handlers={EVENT: f}, ...
            skipped = {id(name_node), id(bound.arguments.get("description"))}
            values = [*call.args, *(keyword.value for keyword in call.keywords)]
            for value in values:
                if id(value) not in skipped:
                    self._collect(value, declaration.refs)
        self._declared[call] = declaration
        self.facts.declarations.append(declaration)

    def _check_texts(self, kind: str, call: ast.Call, bound: BoundCall) -> None:
        """The name and description rules (WNS001 to WNS008 and their actor and
        event-sourcing twins)."""
        first = _FIRST_CODE[kind]
        name_node = bound.arguments.get("name")
        name = None if name_node is None else string(name_node, self.env)
        if name_node is not None and name is not None:
            for code, fields in check_name(name, first):
                self._report(name_node, code, kind=kind, **fields)
        description = bound.arguments.get("description")
        if description is not None and not _is_none(description):
            text = string(description, self.env)
            for code, fields in [] if text is None else check_description(text, first):
                self._report(description, code, kind=kind, **fields)
        elif kind in ("event", "actor") and (description is not None or not bound.open):
            label = name if name is not None else "<unnamed>"
            if name is None and name_node is not None:
                label = ast.unparse(name_node)
            self._report(call, f"WNS{first + 6:03d}", name=label)

    def _service(self, bound: BoundCall) -> None:
        """Record what a ``Service(...)`` or ``Services().add(...)`` emits."""
        self.facts.services += 1
        emits = bound.arguments.get("emits")
        if emits is None:
            return
        emits = _unwrap(emits)
        if isinstance(emits, ast.Call) and self.imports.kind(emits.func) == "events":
            self.facts.emits += self._members(emits.args)
        elif isinstance(emits, ast.List | ast.Tuple):
            self.facts.emits += self._members(emits.elts)
        else:
            self.facts.emits.append(self._ref(emits, strict=True))


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def check_module(tree: ast.Module, path: str) -> tuple[list[Violation], ModuleFacts]:
    """Per-file violations of *tree* (read from *path*) and its facts for cross-file rules."""
    visitor = _ModuleVisitor(path)
    visitor.visit(tree)
    return visitor.violations, visitor.facts
