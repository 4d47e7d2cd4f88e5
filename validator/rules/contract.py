"""SV111: the file provides what the registry builds: an nn.Module with the agreed constructor.

The container builds `Model(input_shape, output_dim, **params)` (docs/contracts.md) and
calls it on `(batch, *input_shape)` tensors. A file that passes every safety rule but breaks
this contract would only fail later inside a run, after an image was built, so it is refused
here with a message the generator can act on. The contract, checked on the class registered
(or, without a name, on at least one class in the file):
- it derives from a torch.nn module class, directly or through classes in this file;
- it defines `forward(self, x, ...)`, itself or through such a class;
- its `__init__` starts `(self, input_shape, output_dim, ...)` and every further parameter
  has a default (`**params` is allowed, `*args` is not, since the registry passes keywords).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sentinel.validator._context import ModuleContext
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule
from sentinel.validator.rules.classes import is_nn_base

__all__ = ["REQUIRED_PARAMS", "ContractRule", "class_problems", "constructor_params", "entry_points"]

REQUIRED_PARAMS = ("self", "input_shape", "output_dim")


def _local_mro(ctx: ModuleContext, cls: ast.ClassDef) -> list[ast.ClassDef]:
    order: list[ast.ClassDef] = []
    pending = [cls]
    while pending:
        current = pending.pop(0)
        if current in order:
            continue
        order.append(current)
        for base in current.bases:
            if isinstance(base, ast.Name) and base.id in ctx.classes:
                pending.append(ctx.classes[base.id])
    return order


def _method(mro: list[ast.ClassDef], name: str) -> ast.FunctionDef | None:
    for cls in mro:
        for stmt in cls.body:
            if isinstance(stmt, ast.FunctionDef) and stmt.name == name:
                return stmt
    return None


def _init_problems(init: ast.FunctionDef) -> list[tuple[ast.AST, str]]:
    args = init.args
    positional = [*args.posonlyargs, *args.args]
    names = tuple(a.arg for a in positional[:3])
    problems: list[tuple[ast.AST, str]] = []
    if names != REQUIRED_PARAMS:
        problems.append(
            (init, f"__init__ must start (self, input_shape, output_dim), not ({', '.join(names)})")
        )
    first_default = len(positional) - len(args.defaults)
    for index, arg in enumerate(positional[3:], 3):
        if index < first_default:
            problems.append((arg, f"__init__ parameter {arg.arg!r} needs a default"))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if default is None:
            problems.append((arg, f"__init__ keyword parameter {arg.arg!r} needs a default"))
    if args.vararg is not None:
        problems.append((args.vararg, "__init__ may not take *args; the registry passes params by keyword"))
    return problems


def class_problems(ctx: ModuleContext, cls: ast.ClassDef) -> list[tuple[ast.AST, str]]:
    """Everything that stops `cls` from being built by the registry (empty: it is an entry point)."""
    mro = _local_mro(ctx, cls)
    if not any(is_nn_base(ctx, base) for c in mro for base in c.bases):
        return [(cls, "is not an nn.Module subclass")]
    problems: list[tuple[ast.AST, str]] = []
    forward = _method(mro, "forward")
    if forward is None:
        problems.append((cls, "defines no forward()"))
    elif len([*forward.args.posonlyargs, *forward.args.args]) < 2 and forward.args.vararg is None:
        problems.append((forward, "forward() must take the input tensor after self"))
    init = _method(mro, "__init__")
    if init is None:
        problems.append((cls, "has no __init__(self, input_shape, output_dim, ...)"))
    else:
        problems.extend(_init_problems(init))
    return problems


def constructor_params(ctx: ModuleContext, class_name: str) -> tuple[frozenset[str], bool]:
    """Keyword params `class_name.__init__` declares after the contract's, and whether it has **params."""
    cls = ctx.classes.get(class_name)
    init = _method(_local_mro(ctx, cls), "__init__") if cls is not None else None
    if init is None:
        return frozenset(), False
    args = init.args
    names = [a.arg for a in [*args.posonlyargs, *args.args][3:]] + [a.arg for a in args.kwonlyargs]
    return frozenset(names), args.kwarg is not None


def entry_points(ctx: ModuleContext) -> tuple[str, ...]:
    """Classes the registry could build from this file, in source order."""
    return tuple(name for name, cls in ctx.classes.items() if not class_problems(ctx, cls))


class ContractRule(Rule):
    code = "SV111"
    summary = "an nn.Module subclass with forward() and __init__(self, input_shape, output_dim, **params)"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        if ctx.class_name is not None:
            cls = ctx.classes.get(ctx.class_name)
            if cls is None:
                yield ctx.source.at_line(
                    self.code, 1, 1, f"class {ctx.class_name!r} is not defined at module level"
                )
                return
            for node, message in class_problems(ctx, cls):
                yield ctx.at(self.code, node, f"class {cls.name} {message}")
            return
        if entry_points(ctx):
            return
        found = False
        for cls in ctx.classes.values():
            problems = class_problems(ctx, cls)
            if problems and problems[0][1] == "is not an nn.Module subclass":
                continue
            found = True
            for node, message in problems:
                yield ctx.at(self.code, node, f"class {cls.name} {message}")
        if not found:
            yield ctx.source.at_line(self.code, 1, 1, "no nn.Module subclass with forward() in this file")
