"""SV110: classes are plain top-level nn.Module subclasses (or plain namespaces).

A class statement runs its metaclass, its bases' `__init_subclass__` and its keywords at
import time, so what a class may inherit from is an allowlist: torch.nn layer classes
(`nn.Module`, `nn.Sequential`, ...) or classes defined earlier in this file; a class with
no bases is a harmless namespace for constants; `typing.NamedTuple` is allowed for config
classes, whose shape SV117 checks. Metaclasses and class keywords are refused
(`metaclass=` runs arbitrary code to build the class), so are `*bases`, and classes defined
inside functions or other classes (the module declares exactly the classes it shows).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sentinel.validator._context import ModuleContext
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule
from sentinel.validator.rules.configs import config_kind

__all__ = ["NOT_MODULE_CLASSES", "ClassRule", "is_nn_base"]

# torch.nn members that are not nn.Module subclasses: never a model's base.
NOT_MODULE_CLASSES = frozenset({"torch.nn.Parameter", "torch.nn.Buffer"})


def is_nn_base(ctx: ModuleContext, base: ast.expr) -> bool:
    step = ctx.qualified(base)
    return (
        step is not None
        and step.kind == "member"
        and step.path.startswith("torch.nn.")
        and step.path.count(".") == 2
        and step.path not in NOT_MODULE_CLASSES
    )


class ClassRule(Rule):
    code = "SV110"
    summary = "top-level classes deriving from torch.nn classes or earlier classes; no metaclasses"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for cls in ctx.nodes(ast.ClassDef):
            assert isinstance(cls, ast.ClassDef)
            if ctx.parent(cls) is not ctx.tree:
                yield ctx.at(self.code, cls, f"class {cls.name} must be defined at module top level")
            for keyword in cls.keywords:
                what = "metaclass" if keyword.arg == "metaclass" else f"class keyword {keyword.arg!r}"
                yield ctx.at(self.code, keyword, f"{what} runs code while the class is created")
            configured = config_kind(ctx, cls) is not None  # its bases are SV117's business
            for base in cls.bases:
                if not (configured or is_nn_base(ctx, base) or self._earlier_class(ctx, cls, base)):
                    yield ctx.at(
                        self.code,
                        base,
                        "base class must be a torch.nn module class or a class defined earlier in this file",
                    )

    @staticmethod
    def _earlier_class(ctx: ModuleContext, cls: ast.ClassDef, base: ast.expr) -> bool:
        if not isinstance(base, ast.Name) or ctx.resolve(base).kind != "global":
            return False
        bindings = ctx.analysis.module.bindings.get(base.id, [])
        if not all(isinstance(b, ast.ClassDef) for b in bindings):
            return False  # the name is also rebound to something that is not a class
        target = ctx.classes.get(base.id)
        return target is not None and target is not cls and target.lineno < cls.lineno
