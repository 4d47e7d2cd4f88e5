"""Which classes of this file have methods that write to `self` (directly or through self calls).

A method called with a foreign self (`C.calibrate(torch.Tensor)`) can do harm only by storing
on that self: reading a class's attributes or calling its methods unbound fails or returns.
The class-access rule uses this to decide which classes may be passed around as values.
"""

from __future__ import annotations

import ast

__all__ = ["stateful_classes"]


def _self_stores(func: ast.FunctionDef) -> bool:
    for node in ast.walk(func):
        if (
            isinstance(node, ast.Attribute)
            and not isinstance(node.ctx, ast.Load)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        ):
            return True
    return False


def _self_calls(func: ast.FunctionDef) -> set[str]:
    called: set[str] = set()
    for node in ast.walk(func):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "self"
        ):
            called.add(node.func.attr)
    return called


def stateful_classes(classes: dict[str, ast.ClassDef]) -> frozenset[str]:
    """Names of classes with a method (other than `__init__`) that stores on self, transitively
    through `self.other()` calls and in-file base classes."""
    methods = [
        (cls.name, stmt)
        for cls in classes.values()
        for stmt in cls.body
        if isinstance(stmt, ast.FunctionDef) and stmt.name != "__init__"
    ]
    stateful = {stmt.name for _, stmt in methods if _self_stores(stmt)}
    calls = {id(stmt): _self_calls(stmt) for _, stmt in methods}
    changed = True
    while changed:  # a method calling a stateful method (by name, any class) is stateful
        changed = False
        for _, stmt in methods:
            if stmt.name not in stateful and calls[id(stmt)] & stateful:
                stateful.add(stmt.name)
                changed = True
    owners = {owner for owner, stmt in methods if stmt.name in stateful}
    changed = True
    while changed:  # subclasses inherit their in-file bases' methods
        changed = False
        for cls in classes.values():
            if cls.name in owners:
                continue
            if any(isinstance(b, ast.Name) and b.id in owners for b in cls.bases):
                owners.add(cls.name)
                changed = True
    return frozenset(owners)
