"""SV109: decorators only from a tiny allowlist.

A decorator is a call made while the module is being imported, with the function as its
argument: `@eval`, `@print`, `@(lambda f: ...)`, `@some_factory(...)` all run code before
any model exists. Class decorators are refused outright. Allowed on functions, and why:
- `staticmethod`: wraps the function in an inert descriptor; calls nothing.
- `torch.no_grad` / `torch.no_grad()`: wraps the function in a grad-disabled context
  manager; importing the file only builds the wrapper (custom init helpers use it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sentinel.validator._context import ModuleContext
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["ALLOWED_DECORATORS", "DecoratorRule"]

ALLOWED_DECORATORS = frozenset({"staticmethod", "torch.no_grad"})


class DecoratorRule(Rule):
    code = "SV109"
    summary = "decorators: staticmethod and torch.no_grad only; no class decorators"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for cls in ctx.nodes(ast.ClassDef):
            assert isinstance(cls, ast.ClassDef)
            for decorator in cls.decorator_list:
                yield ctx.at(self.code, decorator, "class decorators run code at import time")
        for func in ctx.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
            for decorator in func.decorator_list:  # type: ignore[attr-defined]
                if not self._allowed(ctx, decorator):
                    yield ctx.at(
                        self.code, decorator, "decorator is not allowed (only staticmethod, torch.no_grad)"
                    )

    @staticmethod
    def _allowed(ctx: ModuleContext, decorator: ast.expr) -> bool:
        called = isinstance(decorator, ast.Call)
        if isinstance(decorator, ast.Call):
            if decorator.args or decorator.keywords:
                return False
            decorator = decorator.func
        if isinstance(decorator, ast.Name) and decorator.id == "staticmethod":
            return not called and ctx.resolve(decorator).kind == "builtin"
        step = ctx.qualified(decorator)
        return step is not None and step.kind == "member" and step.path in ALLOWED_DECORATORS
