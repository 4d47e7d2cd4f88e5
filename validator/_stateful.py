"""Which classes of this file have methods that write to `self` (directly or through self calls).

A method called with a foreign self (`C.calibrate(torch.Tensor)`) can do harm only by storing
on that self: reading a class's attributes or calling its methods unbound fails or returns.
The class-access rule uses this to decide which classes may be passed around as values.
Works from the shared node indexes (one pass over attributes and calls, no extra tree walks).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentinel.validator._context import ModuleContext

__all__ = ["stateful_classes"]


def _method_of(ctx: ModuleContext, node: ast.AST) -> ast.FunctionDef | None:
    """The outermost method (a def directly in a class body) enclosing `node`."""
    found: ast.FunctionDef | None = None
    current = ctx.parent(node)
    while current is not None:
        if isinstance(current, ast.FunctionDef) and isinstance(ctx.parent(current), ast.ClassDef):
            found = current
        current = ctx.parent(current)
    return found


def _on_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"


def stateful_classes(ctx: ModuleContext) -> frozenset[str]:
    """Names of classes with a method (other than `__init__`) that stores on self, transitively
    through `self.other()` calls (by name, any class) and in-file base classes."""
    stateful: set[str] = set()
    calls: list[tuple[ast.FunctionDef, str]] = []
    for node in ctx.nodes(ast.Attribute):
        if not _on_self(node):
            continue
        assert isinstance(node, ast.Attribute)
        parent = ctx.parent(node)
        if not isinstance(node.ctx, ast.Load):
            method = _method_of(ctx, node)
            if method is not None and method.name != "__init__":
                stateful.add(method.name)
        elif isinstance(parent, ast.Call) and parent.func is node:
            method = _method_of(ctx, node)
            if method is not None and method.name != "__init__":
                calls.append((method, node.attr))
    changed = True
    while changed:
        changed = False
        for method, callee in calls:
            if callee in stateful and method.name not in stateful:
                stateful.add(method.name)
                changed = True
    owners = {
        cls.name
        for cls in ctx.classes.values()
        if any(
            isinstance(s, ast.FunctionDef) and s.name in stateful and s.name != "__init__" for s in cls.body
        )
    }
    changed = True
    while changed:  # subclasses inherit their in-file bases' methods
        changed = False
        for cls in ctx.classes.values():
            if cls.name not in owners and any(isinstance(b, ast.Name) and b.id in owners for b in cls.bases):
                owners.add(cls.name)
                changed = True
    return frozenset(owners)
