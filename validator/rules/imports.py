"""SV101: imports come from an allowlist, at module top level, absolute and explicit.

Allowed modules and why (each exists in the runtime image):
- torch, torch.nn, torch.nn.functional, torch.nn.init, torch.linalg, torch.fft, torch.special:
  the model itself; which of their members may be used is the module-API rule's job (SV102).
- numpy: array math for constants such as positional tables; its file, pickle and ctypes
  APIs are outside the member allowlist.
- einops (and einops.layers.torch): pure tensor reshaping from pattern strings.
- math: pure numeric functions and constants; it has no submodules and no I/O.
- typing, collections.abc: annotations only; members limited to type constructors and
  abstract base classes (typing.get_type_hints, which evaluates strings, is not among them).
- __future__: `annotations` only, which makes annotations lazy: less runs at import.
- dataclasses: `dataclass` only, for frozen config classes whose shape SV117 checks (field
  names and literal defaults are all the generated code sees; `field(default_factory=...)`
  is not importable).
Refused stdlib, with reasons: the rest of collections (namedtuple generates code from any
strings; typing.NamedTuple with SV117's checks and nn.ModuleDict suffice),
functools (partial/reduce call arbitrary callables indirectly; wraps copies __dict__ and
__wrapped__), and everything else: os, sys, subprocess, socket, pickle, ctypes, importlib,
builtins, inspect, io, pathlib, ... none of which a model definition needs.
Imports inside functions are refused so the module's namespace is fixed and visible.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sentinel.validator._api import NAMESPACES
from sentinel.validator._context import ModuleContext
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["ALLOWED_FUTURE", "IMPORTABLE", "ImportRule"]

# Namespaces that only lead elsewhere (`collections` -> `abc`, `einops.layers` -> `torch`) are
# importable only through their child: `import collections` alone offers nothing allowed.
IMPORTABLE = frozenset(name for name, namespace in NAMESPACES.items() if namespace.members)
ALLOWED_FUTURE = frozenset({"annotations"})
_SHOWN = ", ".join(sorted(n for n in IMPORTABLE if n.count(".") < 2))


class ImportRule(Rule):
    code = "SV101"
    summary = "imports only from the allowlist, at top level, no relative or star imports"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for node in ctx.nodes(ast.Import, ast.ImportFrom):
            if ctx.parent(node) is not ctx.tree:
                yield ctx.at(self.code, node, "imports are allowed only at module top level")
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name not in IMPORTABLE:
                        yield ctx.at(
                            self.code, alias, f"import of {alias.name!r} is not allowed (allowed: {_SHOWN})"
                        )
            else:
                assert isinstance(node, ast.ImportFrom)
                yield from self._check_from(ctx, node)

    def _check_from(self, ctx: ModuleContext, node: ast.ImportFrom) -> Iterator[Violation]:
        if node.level:
            yield ctx.at(self.code, node, "relative imports are not allowed")
            return
        module = node.module or ""
        if any(alias.name == "*" for alias in node.names):
            yield ctx.at(self.code, node, f"star import from {module!r} hides which names it binds")
        if module == "__future__":
            for alias in node.names:
                if alias.name not in ALLOWED_FUTURE:
                    yield ctx.at(self.code, alias, f"__future__ feature {alias.name!r} is not allowed")
            return
        if module not in IMPORTABLE:
            yield ctx.at(self.code, node, f"import from {module!r} is not allowed (allowed: {_SHOWN})")
