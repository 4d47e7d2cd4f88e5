"""SV104: no dunder names or attributes, except defining `__init__`/`__repr__` and `super().__init__`.

Dunders are where every published escape starts: `().__class__.__mro__[1].__subclasses__()`
(CVE-2025-9959), `f.__globals__`, `e.__traceback__.tb_frame`, `__builtins__`, `__import__`.
Defining most dunder methods is refused too, because the interpreter calls them implicitly
at times the reader does not see: `__init_subclass__` and `__set_name__` at class creation,
`__class_getitem__` on subscription, `__del__` during garbage collection, `__getattr__`
on any missing attribute, `__reduce__` when pickled, a module-level `__getattr__` (PEP 562)
on every failed lookup. Allowed definitions and why:
- `__init__`: the registry's constructor contract; it only runs when the trainer builds the model.
- `__repr__`: runs only when something asks for a repr (logging the model); nn.Module's
  `extra_repr` is preferred but `__repr__` with f-strings is common in real models.
- `__len__`, `__getitem__`, `__iter__`: container-style models (a stack of blocks used like a
  list). Their bodies are checked like any method; `%` with a mapping, the one implicit
  caller by string key, is refused by SV106, and `__iter__` cannot be a generator (SV107).
Everything else is refused, whether accessed or defined: `__array_interface__`,
`__array_struct__`, `__array__`, `__dlpack__`, `__setstate__`, `__reduce_ex__`,
`__class_getitem__`, `__set_name__` ...: the allowlist above is the complete list.
Strings that are exactly a dunder name ("__class__") are refused as well: no allowed API
needs one, and they are the payload of every string-based attribute lookup.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from sentinel.validator._context import ModuleContext, is_dunder
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["ALLOWED_DUNDER_METHODS", "DunderRule"]

ALLOWED_DUNDER_METHODS = frozenset({"__init__", "__repr__", "__len__", "__getitem__", "__iter__"})
_DUNDER_STRING = re.compile(r"^\s*__\w+__\s*$")


class DunderRule(Rule):
    code = "SV104"
    summary = "no dunder access; only __init__/__repr__ may be defined, only super().__init__ called"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for node in ctx.nodes(ast.Attribute):
            assert isinstance(node, ast.Attribute)
            if is_dunder(node.attr) and not self._is_super_call(ctx, node):
                yield ctx.at(self.code, node, f"dunder attribute {node.attr!r} is not allowed")
        for node in ctx.nodes(ast.Name):
            assert isinstance(node, ast.Name)
            if is_dunder(node.id):
                yield ctx.at(self.code, node, f"dunder name {node.id!r} is not allowed")
        for node in ctx.nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            name: str = node.name  # type: ignore[attr-defined]
            if not is_dunder(name):
                continue
            in_class = isinstance(ctx.parent(node), ast.ClassDef)
            if not (in_class and isinstance(node, ast.FunctionDef) and name in ALLOWED_DUNDER_METHODS):
                yield ctx.at(
                    self.code, node, f"defining {name!r} is not allowed: the interpreter calls it implicitly"
                )
        for node in ctx.nodes(ast.arg):
            assert isinstance(node, ast.arg)
            if is_dunder(node.arg):
                yield ctx.at(self.code, node, f"dunder parameter name {node.arg!r} is not allowed")
        for node in ctx.nodes(ast.alias):
            assert isinstance(node, ast.alias)
            if node.asname and is_dunder(node.asname):
                yield ctx.at(self.code, node, f"importing as dunder name {node.asname!r} is not allowed")
        for node in ctx.nodes(ast.keyword):
            assert isinstance(node, ast.keyword)
            if node.arg and is_dunder(node.arg):
                yield ctx.at(self.code, node, f"dunder keyword argument {node.arg!r} is not allowed")
        for node in ctx.nodes(ast.Constant):
            assert isinstance(node, ast.Constant)
            if isinstance(node.value, str) and _DUNDER_STRING.match(node.value):
                yield ctx.at(self.code, node, f"string {node.value!r} names a dunder attribute")

    @staticmethod
    def _is_super_call(ctx: ModuleContext, node: ast.Attribute) -> bool:
        """`super().__init__` / `super(Cls, self).__repr__`: calling the parent's allowed dunder."""
        value = node.value
        return (
            node.attr in ALLOWED_DUNDER_METHODS
            and isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "super"
            and ctx.resolve(value.func).kind == "builtin"
        )
