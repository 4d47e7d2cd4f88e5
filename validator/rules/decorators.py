"""SV109: decorators only from a tiny allowlist.

A decorator is a call made while the module is being imported, with the function as its
argument: `@eval`, `@print`, `@(lambda f: ...)`, `@some_factory(...)` all run code before
any model exists. Class decorators are refused outright. Allowed on functions, and why:
- `staticmethod`: wraps the function in an inert descriptor; calls nothing.
- `torch.no_grad` / `torch.no_grad()`: wraps the function in a grad-disabled context
  manager; importing the file only builds the wrapper (custom init helpers use it).
- `property` (on methods): a read-only computed attribute; the getter body is checked like
  any method and runs only when read. `@x.setter`/`@x.deleter` are refused: a setter turns
  `self.x = v`, which reads as the one allowed store, into a hidden call, and nn.Module's
  own `__setattr__` already decides what a store of a Parameter or Module means.
- `dataclass(frozen=True)` on a configuration class (the only class decorator): fields with
  literal defaults only, checked by SV117; `dataclass` builds `__init__` with exec from the
  field names, which SV117 keeps to plain identifiers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sentinel.validator._context import ModuleContext
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["ALLOWED_DECORATORS", "DATACLASS", "DecoratorRule", "is_frozen_dataclass"]

ALLOWED_DECORATORS = frozenset({"staticmethod", "property", "torch.no_grad"})
DATACLASS = "dataclasses.dataclass"


class DecoratorRule(Rule):
    code = "SV109"
    summary = "decorators: staticmethod, property, torch.no_grad; dataclass(frozen=True) on config classes"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for cls in ctx.nodes(ast.ClassDef):
            assert isinstance(cls, ast.ClassDef)
            for decorator in cls.decorator_list:
                if not is_frozen_dataclass(ctx, decorator):
                    yield ctx.at(
                        self.code,
                        decorator,
                        "class decorators run code at import time (only @dataclass(frozen=True) is allowed)",
                    )
        for func in ctx.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
            for decorator in func.decorator_list:  # type: ignore[attr-defined]
                if not self._allowed(ctx, func, decorator):
                    yield ctx.at(
                        self.code,
                        decorator,
                        "decorator is not allowed (only staticmethod, property, torch.no_grad)",
                    )

    @staticmethod
    def _allowed(ctx: ModuleContext, func: ast.AST, decorator: ast.expr) -> bool:
        called = isinstance(decorator, ast.Call)
        if isinstance(decorator, ast.Call):
            if decorator.args or decorator.keywords:
                return False
            decorator = decorator.func
        if isinstance(decorator, ast.Name) and decorator.id in ("staticmethod", "property"):
            in_class = isinstance(ctx.parent(func), ast.ClassDef)
            return not called and in_class and ctx.resolve(decorator).kind == "builtin"
        step = ctx.qualified(decorator)
        return step is not None and step.kind == "member" and step.path in ALLOWED_DECORATORS


def is_frozen_dataclass(ctx: ModuleContext, decorator: ast.expr) -> bool:
    """`@dataclass(frozen=True)` exactly (frozen: a config cannot be rewritten by a method)."""
    if not isinstance(decorator, ast.Call) or decorator.args:
        return False
    step = ctx.qualified(decorator.func)
    if step is None or step.kind != "member" or step.path != DATACLASS:
        return False
    keywords = {k.arg: k.value for k in decorator.keywords}
    frozen = keywords.get("frozen")
    return set(keywords) == {"frozen"} and isinstance(frozen, ast.Constant) and frozen.value is True
