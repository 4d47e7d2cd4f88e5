"""SV103: every name resolves to something the file defines or to an allowlisted builtin.

Naming a builtin is already a capability: `eval` passed as a default argument, stored under
another name or used as a decorator runs just as well as a direct call. So every load is
resolved with CPython's scoping (see `_scopes.py`) and must land on a binding in the file or
on one of the builtins below; anything else (`getattr`, `type`, `open`, `__import__`,
`vars`, `globals`, `compile`, `memoryview`, `breakpoint`, undefined names ...) is refused.
Module and class bodies look names up dynamically and fall back to builtins, so rebinding
a builtin or an imported name there would make a later lookup mean something else; both
are refused everywhere for imports and at module/class level for builtins.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sentinel.validator._context import ModuleContext
from sentinel.validator._scopes import BUILTIN_NAMES, ImportBinding
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["ALLOWED_BUILTINS", "NameRule"]

ALLOWED_BUILTINS = frozenset(
    {
        # values and containers built from what the model already holds
        "bool", "int", "float", "str", "tuple", "list", "dict", "set", "frozenset", "slice",
        # pure arithmetic and iteration helpers (no attribute or global access)
        "abs", "all", "any", "divmod", "enumerate", "len", "max", "min", "pow", "range",
        "reversed", "round", "sorted", "sum", "zip", "map", "iter", "next",
        # type tests over explicit classes; repr only calls __repr__ the file may define
        "isinstance", "issubclass", "repr",
        # print goes to the run's stdout log (capped by the host; never parsed as a result)
        "print",
        # super() for nn.Module.__init__; staticmethod is an inert wrapper (decorator rule)
        "super", "staticmethod",
        # property only as a method decorator (checked below; setters are SV109's)
        "property",
        # exceptions a constructor raises on bad params
        "ValueError", "TypeError", "RuntimeError", "NotImplementedError", "IndexError",
        "KeyError", "AssertionError",
    }
)  # fmt: skip

_WHY = {
    "getattr": "reaches any attribute by a runtime string, dunders included (CVE-2025-5120)",
    "setattr": "writes any attribute by a runtime string",
    "delattr": "deletes any attribute by a runtime string",
    "eval": "executes arbitrary code",
    "exec": "executes arbitrary code",
    "compile": "builds code objects",
    "__import__": "imports any module",
    "type": "type(x) walks to classes, type(name, bases, ns) builds them",
    "vars": "exposes an object's namespace",
    "globals": "exposes the module namespace and builtins",
    "locals": "exposes a frame namespace",
    "open": "opens files",
    "input": "reads stdin",
    "breakpoint": "starts a debugger",
    "help": "starts pydoc and imports modules by name",
    "memoryview": "exposes raw memory",
    "object": "is the root of subclass walking",
}


class NameRule(Rule):
    code = "SV103"
    summary = "names resolve to the file's own bindings or allowlisted builtins"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for node in ctx.nodes(ast.Name):
            assert isinstance(node, ast.Name)
            if not isinstance(node.ctx, ast.Load):
                continue
            resolution = ctx.resolve(node)
            if resolution.kind == "builtin" and node.id not in ALLOWED_BUILTINS:
                why = _WHY.get(node.id, "is not on the builtin allowlist")
                yield ctx.at(self.code, node, f"builtin {node.id!r} is not allowed: it {why}")
            elif resolution.kind == "undefined":
                yield ctx.at(self.code, node, f"name {node.id!r} is not defined in this file")
            elif node.id == "property" and resolution.kind == "builtin":
                parent = ctx.parent(node)
                if not (isinstance(parent, ast.FunctionDef) and node in parent.decorator_list):
                    yield ctx.at(self.code, node, "property may only be used as a method decorator")
            elif node.id == "print" and resolution.kind == "builtin":
                call = ctx.parent(node)
                if not (isinstance(call, ast.Call) and call.func is node):
                    yield ctx.at(self.code, node, "print may only be called directly")
                elif any(k.arg == "file" for k in call.keywords):
                    yield ctx.at(self.code, node, "print(file=...) is not allowed: print goes to the run log")
        yield from self._rebindings(ctx)

    def _rebindings(self, ctx: ModuleContext) -> Iterator[Violation]:
        analysis = ctx.analysis
        for scope in analysis.scopes:
            for name, nodes in scope.bindings.items():
                imported = analysis.imports.get(name)
                if imported and scope is not analysis.module:
                    rebinding = nodes
                elif imported and not self._same_import(nodes, imported):
                    rebinding = nodes[1:]
                else:
                    rebinding = []
                for node in rebinding:
                    yield ctx.at(self.code, node, f"{name!r} rebinds an imported name")
                if name in BUILTIN_NAMES and scope.kind in ("module", "class"):
                    for node in nodes:
                        yield ctx.at(
                            self.code, node, f"{name!r} shadows a builtin at {scope.kind} level; rename it"
                        )

    @staticmethod
    def _same_import(nodes: list[ast.AST], bindings: list[ImportBinding]) -> bool:
        """`import torch` twice, or `import torch` + `import torch.nn`: the same object, no rebinding."""
        return len(nodes) == len(bindings) and len({b.target for b in bindings}) == 1
