"""SV117: configuration classes (`typing.NamedTuple`, `@dataclass(frozen=True)`) hold only fields.

Typed configs are ordinary model code, but both constructs run library code at class
creation: NamedTuple builds `__new__` with `eval` from the field names, and `dataclass`
builds `__init__`, `__repr__` and friends with `exec` from the field names. Field names and
defaults are the only inputs to that generated code, so a config class may contain:
- annotated fields `name: type` or `name: type = <literal>` (numbers, strings, bools, None,
  tuples of those; names that are public identifiers, since a field such as `_cls` or
  `__init__` would collide with the generated code), and a docstring;
- nothing else: no methods (they would see a foreign `self` through `_make`/`replace`), no
  `field(default_factory=...)` (calls a callable), no base classes beyond NamedTuple, and
  for dataclasses exactly `@dataclass(frozen=True)` (SV109) so instances stay read-only.
Annotations are type expressions (SV108) and are not evaluated as code by either builder
(docs/security.md, "Annotations").
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sentinel.validator._context import ModuleContext
from sentinel.validator._strings import IDENTIFIER_KEY
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule
from sentinel.validator.rules.decorators import DATACLASS

__all__ = ["NAMED_TUPLE", "ConfigRule", "config_kind"]

NAMED_TUPLE = "typing.NamedTuple"
_LITERALS = (int, float, str, bool, complex, type(None))


def config_kind(ctx: ModuleContext, cls: ast.ClassDef) -> str | None:
    """ "namedtuple" or "dataclass" when `cls` is declared as a config class, else None."""
    for base in cls.bases:
        step = ctx.qualified(base)
        if step is not None and step.kind == "member" and step.path == NAMED_TUPLE:
            return "namedtuple"
    for decorator in cls.decorator_list:
        func = decorator.func if isinstance(decorator, ast.Call) else decorator
        step = ctx.qualified(func)
        if step is not None and step.kind == "member" and step.path == DATACLASS:
            return "dataclass"
    return None


def _literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, _LITERALS)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _literal(node.operand)
    if isinstance(node, ast.Tuple):
        return all(_literal(e) for e in node.elts)
    return False


class ConfigRule(Rule):
    code = "SV117"
    summary = "NamedTuple / frozen dataclass configs: annotated fields with literal defaults only"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for cls in ctx.classes.values():
            kind = config_kind(ctx, cls)
            if kind is None:
                continue
            if len(cls.bases) != (1 if kind == "namedtuple" else 0) or (
                kind == "namedtuple" and cls.decorator_list
            ):
                yield ctx.at(
                    self.code, cls, f"config class {cls.name} must be a plain NamedTuple or frozen dataclass"
                )
            for index, stmt in enumerate(cls.body):
                if index == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                    continue  # docstring
                if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                    yield ctx.at(
                        self.code,
                        stmt,
                        f"config class {cls.name} may hold only annotated fields and a docstring",
                    )
                    continue
                name = stmt.target.id
                if not IDENTIFIER_KEY.match(name):
                    yield ctx.at(self.code, stmt.target, f"field name {name!r} must be a public identifier")
                if stmt.value is not None and not _literal(stmt.value):
                    yield ctx.at(
                        self.code,
                        stmt.value,
                        f"field {name!r} needs a literal default (number, string, tuple)",
                    )
