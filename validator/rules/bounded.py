"""SV115: nothing a model file writes loops forever or builds a giant constant by itself.

`while` is refused by the syntax rule, but `iter(callable, sentinel)` is a `while` in
disguise (`for _ in iter(int, 1)` never ends), so `iter` takes one argument. Constant
arithmetic is sized without being evaluated (`_fold.py`): a result above a million digits
or a million elements (`10 ** 10 ** 9`, `'a' * 10**12`, `[0] * 10**9`, `1 << 10**10`) is
refused, wherever it appears, before anything runs it. The builtin `pow(a, b)` and
`math.factorial/comb/perm` are sized the same way (`pow(10, 10**9)`, `math.factorial(10**8)`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sentinel.validator._context import ModuleContext
from sentinel.validator._fold import MAX_DIGITS, MAX_ELEMENTS, Size, estimate
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["BoundedRule"]

_MATH_COMBINATORICS = frozenset({"math.factorial", "math.comb", "math.perm"})


class BoundedRule(Rule):
    code = "SV115"
    summary = "iter() takes one argument; constant arithmetic stays under 10^6 digits/elements"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for node in ctx.nodes(ast.Call):
            assert isinstance(node, ast.Call)
            func = node.func
            if (
                isinstance(func, ast.Name)
                and func.id == "iter"
                and ctx.resolve(func).kind == "builtin"
                and (len(node.args) + len(node.keywords) != 1 or isinstance(node.args[0], ast.Starred))
            ):
                yield ctx.at(
                    self.code,
                    node,
                    "iter() takes exactly one iterable; iter(f, sentinel) loops until f says so",
                )
        memo: dict[ast.AST, Size | None] = {}

        def kind_of(call: ast.Call) -> str | None:
            func = call.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name not in ("pow", "factorial", "comb", "perm"):
                return None  # cheap filter before resolving anything
            if isinstance(func, ast.Name) and func.id == "pow" and ctx.resolve(func).kind == "builtin":
                return "pow"
            step = ctx.qualified(func)
            if step is not None and step.kind == "member" and step.path in _MATH_COMBINATORICS:
                return step.path.rsplit(".", 1)[1]
            return None

        for node in [*ctx.nodes(ast.BinOp), *ctx.nodes(ast.Call)]:
            assert isinstance(node, (ast.BinOp, ast.Call))
            size = estimate(node, memo, kind_of)
            if size is None or not size.too_big:
                continue
            operands = [node.left, node.right] if isinstance(node, ast.BinOp) else node.args
            children = [memo.get(child) for child in operands]
            if any(c is not None and c.too_big for c in children):
                continue  # reported at the innermost expression that is already too big
            what = f"{MAX_DIGITS:,} digits" if size.kind == "int" else f"{MAX_ELEMENTS:,} elements"
            yield ctx.at(
                self.code, node, f"constant expression would exceed {what}; it is refused unevaluated"
            )
