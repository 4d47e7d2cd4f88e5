"""SV113: an nn.Module subclass may override only a short allowlist of nn.Module's names.

The trainer drives a model through nn.Module's own machinery: `parameters()` feeds the
optimizer and the monitor, `state_dict()` the checkpoint, `train()`/`eval()` the mode,
`__setattr__`/`__getattr__` every attribute, hooks the gradients. A model that overrides any
of them decides what the trainer sees (an empty `parameters()` makes the optimizer and the
monitor see grad norm 0 while the model trains itself through its own hooks). So a class
deriving from a torch.nn class may define, among the names that class already has, only:
- `__init__`, `forward`, `extra_repr`, `reset_parameters`, `__repr__`: what models write;
- `__len__`, `__getitem__`, `__iter__`: container-style models (a stack of blocks indexed
  like a list); allowed on any module class, their bodies checked like every method.
Every other name is free when nn.Module and the torch.nn bases of the class do *not*
already have it: private helpers (`_shortcut`), public helpers (`encode`, `sample`),
constants. The members come from the member audit (`member_audit.json`), so a name torch
adds in a later version is covered after regeneration. The same holds for instance
attributes: `self.parameters = ...` or `self.train = ...` shadows the method just as well,
so `self.<name>` stores of nn.Module members are refused too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sentinel.validator._audit import MODULE_EXTRAS, MODULE_MEMBERS
from sentinel.validator._context import ModuleContext, is_dunder
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule
from sentinel.validator.rules.classes import is_nn_base

__all__ = ["OVERRIDABLE", "OverrideRule", "module_members_of"]

OVERRIDABLE = frozenset(
    {
        "__init__",
        "forward",
        "extra_repr",
        "reset_parameters",
        "__repr__",
        "__len__",
        "__getitem__",
        "__iter__",
    }
)


def _nn_bases(ctx: ModuleContext, cls: ast.ClassDef, seen: set[str] | None = None) -> list[str] | None:
    """torch.nn base paths of `cls` through in-file classes; None when it is no module class."""
    seen = set() if seen is None else seen
    if cls.name in seen:
        return []
    seen.add(cls.name)
    found: list[str] = []
    module = False
    for base in cls.bases:
        step = ctx.qualified(base)
        if is_nn_base(ctx, base) and step is not None:
            found.append(step.path)
            module = True
        elif isinstance(base, ast.Name) and base.id in ctx.classes and ctx.classes[base.id] is not cls:
            inner = _nn_bases(ctx, ctx.classes[base.id], seen)
            if inner is not None:
                found.extend(inner)
                module = True
    return found if module else None


def module_members_of(ctx: ModuleContext, cls: ast.ClassDef) -> frozenset[str] | None:
    """Names `cls` inherits from torch.nn (None: not an nn.Module subclass)."""
    bases = _nn_bases(ctx, cls)
    if bases is None:
        return None
    names = set(MODULE_MEMBERS)
    for path in bases:
        names |= MODULE_EXTRAS.get(path, frozenset())
    return frozenset(names)


class OverrideRule(Rule):
    code = "SV113"
    summary = "module classes override only __init__/forward/extra_repr/reset_parameters/__repr__/containers"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        members_of: dict[str, frozenset[str] | None] = {}
        for cls in ctx.classes.values():
            members = members_of[cls.name] = module_members_of(ctx, cls)
            if members is None:
                continue
            for stmt in cls.body:
                for name, where in _bound_names(stmt):
                    if name in members and name not in OVERRIDABLE and not is_dunder(name):
                        yield ctx.at(
                            self.code,
                            where,
                            f"{cls.name} overrides nn.Module's {name!r}; only {_shown()} may be"
                            " overridden (rename the helper)",
                        )
        for node in ctx.nodes(ast.Attribute):
            assert isinstance(node, ast.Attribute)
            if isinstance(node.ctx, ast.Load) or not (
                isinstance(node.value, ast.Name) and node.value.id == "self"
            ):
                continue
            cls = _enclosing_class(ctx, node)
            members = members_of.get(cls.name) if cls is not None else None
            if members is not None and node.attr in members:
                yield ctx.at(
                    self.code,
                    node,
                    f"self.{node.attr} = ... shadows nn.Module's {node.attr!r}; use another name",
                )


def _enclosing_class(ctx: ModuleContext, node: ast.AST) -> ast.ClassDef | None:
    current = ctx.parent(node)
    while current is not None and not isinstance(current, ast.ClassDef):
        current = ctx.parent(current)
    return current if isinstance(current, ast.ClassDef) and ctx.classes.get(current.name) is current else None


def _shown() -> str:
    return ", ".join(sorted(OVERRIDABLE))


def _bound_names(stmt: ast.stmt) -> list[tuple[str, ast.AST]]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [(stmt.name, stmt)]
    if isinstance(stmt, ast.Assign):
        return [(t.id, t) for t in stmt.targets if isinstance(t, ast.Name)]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return [(stmt.target.id, stmt.target)]
    return []
