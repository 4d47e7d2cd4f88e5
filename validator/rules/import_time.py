"""SV108: importing the file runs nothing: module and class bodies only declare.

Whatever runs at import runs before the trainer has built anything, outside every later
check, so module level may hold only imports, class and function definitions, constant
assignments and docstrings, and class bodies only methods, constants and docstrings. The
same goes for everything Python evaluates while *defining* a function or class: default
values must be constants (`def f(e=eval)` is the classic way to smuggle a builtin) and
annotations must be type expressions (they are evaluated at definition time, and string
annotations are evaluated later by anything calling typing.get_type_hints). Constants are
literals, names, attribute chains and arithmetic on them, plus calls of pure functions on
constants (`math.sqrt(2.0)`, `len(WIDTHS)`: `math.*` and the PURE_BUILTINS below, which have
no side effects); no other calls, no lambdas (a lambda stored at module level is a function
without a reviewable name), no comprehensions.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator

from sentinel.validator._context import ModuleContext
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["PURE_BUILTINS", "ImportTimeRule", "impure_parts", "non_type_parts"]

# Builtins without side effects whose cost is bounded by their constant arguments.
PURE_BUILTINS = frozenset(
    {"abs", "bool", "float", "int", "len", "max", "min", "round", "str", "sum", "tuple"}
)

_STRING_ANNOTATION = re.compile(r"^[A-Za-z0-9_.,\[\] |]*$")
_CONTAINERS = (ast.Tuple, ast.List, ast.Set)


def _pure_call(ctx: ModuleContext, call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name) and func.id in PURE_BUILTINS and ctx.resolve(func).kind == "builtin":
        return True
    step = ctx.qualified(func)
    return step is not None and step.kind == "member" and step.path.startswith("math.")


def impure_parts(ctx: ModuleContext, node: ast.expr) -> Iterator[ast.expr]:
    """Sub-expressions that would run code when evaluated (anything but constant arithmetic)."""
    stack: list[ast.expr] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (ast.Constant, ast.Name)):
            continue
        if isinstance(current, ast.Call) and _pure_call(ctx, current):
            stack.extend(current.args)
            stack.extend(k.value for k in current.keywords)
            continue
        if isinstance(current, ast.Attribute):
            stack.append(current.value)
        elif isinstance(current, _CONTAINERS):
            stack.extend(current.elts)
        elif isinstance(current, ast.Dict):
            stack.extend(k for k in current.keys if k is not None)
            stack.extend(current.values)
        elif isinstance(current, ast.UnaryOp):
            stack.append(current.operand)
        elif isinstance(current, ast.BinOp):
            stack.extend((current.left, current.right))
        elif isinstance(current, ast.BoolOp):
            stack.extend(current.values)
        elif isinstance(current, ast.Compare):
            stack.extend((current.left, *current.comparators))
        elif isinstance(current, ast.IfExp):
            stack.extend((current.test, current.body, current.orelse))
        elif isinstance(current, ast.Subscript):
            stack.extend((current.value, current.slice))
        elif isinstance(current, ast.Slice):
            stack.extend(p for p in (current.lower, current.upper, current.step) if p is not None)
        else:
            yield current


def non_type_parts(node: ast.expr) -> Iterator[ast.expr]:
    """Sub-expressions that are not part of a type expression (`Optional[int]`, `A | None`)."""
    stack: list[ast.expr] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Constant):
            if isinstance(current.value, str) and (
                "__" in current.value or not _STRING_ANNOTATION.match(current.value)
            ):
                yield current
        elif isinstance(current, ast.Name):
            continue
        elif isinstance(current, ast.Attribute):
            stack.append(current.value)
        elif isinstance(current, ast.Subscript):
            stack.extend((current.value, current.slice))
        elif isinstance(current, (ast.Tuple, ast.List)):
            stack.extend(current.elts)
        elif isinstance(current, ast.BinOp) and isinstance(current.op, ast.BitOr):
            stack.extend((current.left, current.right))
        else:
            yield current


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        return "a call"
    if isinstance(node, ast.Lambda):
        return "a lambda"
    return f"a {type(node).__name__} expression"


class ImportTimeRule(Rule):
    code = "SV108"
    summary = "module/class bodies only declare; defaults are constants; annotations are types"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        yield from self._body(ctx, ctx.tree.body, "module level", (ast.Import, ast.ImportFrom, ast.ClassDef))
        for cls in ctx.nodes(ast.ClassDef):
            assert isinstance(cls, ast.ClassDef)
            yield from self._body(ctx, cls.body, f"class {cls.name} body", ())
        for func in ctx.nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda):
            args: ast.arguments = func.args  # type: ignore[attr-defined]
            defaults = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
            for default in defaults:
                for part in impure_parts(ctx, default):
                    yield ctx.at(self.code, part, f"default value runs {_describe(part)} at definition time")
            annotations = [a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
            annotations += [a.annotation for a in (args.vararg, args.kwarg) if a is not None]
            annotations.append(getattr(func, "returns", None))
            yield from self._annotations(ctx, annotations)
        for node in ctx.nodes(ast.AnnAssign):
            assert isinstance(node, ast.AnnAssign)
            yield from self._annotations(ctx, [node.annotation])

    def _annotations(self, ctx: ModuleContext, annotations: Iterable[ast.expr | None]) -> Iterator[Violation]:
        for annotation in annotations:
            if annotation is None:
                continue
            for part in non_type_parts(annotation):
                yield ctx.at(self.code, part, "annotations must be type expressions (names, subscripts, |)")

    def _body(
        self, ctx: ModuleContext, body: list[ast.stmt], where: str, extra: tuple[type[ast.stmt], ...]
    ) -> Iterator[Violation]:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.Pass, *extra)):
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # docstrings and other bare literals are inert
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                yield from self._constant_assignment(ctx, stmt, where)
                continue
            if _is_main_guard(stmt):
                yield ctx.at(
                    self.code,
                    stmt,
                    'an `if __name__ == "__main__":` block is not allowed: the container imports this file'
                    " as a module and nothing runs it as a script; remove the block",
                )
                continue
            kind = type(stmt).__name__
            yield ctx.at(self.code, stmt, f"{kind} statement at {where} runs at import time")

    def _constant_assignment(
        self, ctx: ModuleContext, stmt: ast.Assign | ast.AnnAssign, where: str
    ) -> Iterator[Violation]:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            names = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
            for name in names:
                if not isinstance(name, ast.Name):
                    yield ctx.at(self.code, name, f"assignments at {where} must bind plain names")
        if stmt.value is None:
            return
        for part in impure_parts(ctx, stmt.value):
            yield ctx.at(
                self.code, part, f"{_describe(part)} at {where} runs at import time; only constants allowed"
            )


def _is_main_guard(stmt: ast.stmt) -> bool:
    test = stmt.test if isinstance(stmt, ast.If) else None
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )
