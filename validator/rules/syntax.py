"""SV107: only the syntax a model definition needs; every other node type is refused.

An allowlist of AST node types, so syntax added by a future Python is refused until
someone decides otherwise. Refused constructs and why:
- global / nonlocal: rebinding names in other scopes defeats static name resolution.
- walrus (`:=`): binds from inside expressions and comprehensions into the enclosing scope.
- match: class patterns read attributes by keyword (`case object(__class__=c)`) with no
  attribute node for any other rule to see.
- try / except / except*: handlers hold exceptions and so tracebacks and frames
  (`e.__traceback__.tb_frame`); except* had a CPython type confusion that bypassed
  RestrictedPython (CVE-2025-22153). A model has nothing to catch.
- while: unbounded loops; model code iterates over layers and tensors with `for`.
- del: deleting names makes lookups fall through to builtins.
- yield / async / await: generators and coroutines are frame carriers (gi_frame, cr_frame).
Lambdas are syntax-legal here; where they may appear is the import-time rule's business.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sentinel.validator._context import ModuleContext
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["ALLOWED_NODES", "SyntaxRule"]

_OPERATORS = (
    ast.And, ast.Or, ast.Add, ast.Sub, ast.Mult, ast.MatMult, ast.Div, ast.Mod, ast.Pow,
    ast.LShift, ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd, ast.FloorDiv, ast.Invert,
    ast.Not, ast.UAdd, ast.USub, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is,
    ast.IsNot, ast.In, ast.NotIn,
)  # fmt: skip
ALLOWED_NODES: frozenset[type[ast.AST]] = frozenset(
    {
        ast.Module, ast.FunctionDef, ast.ClassDef, ast.Return, ast.Assign, ast.AugAssign,
        ast.AnnAssign, ast.For, ast.If, ast.With, ast.Raise, ast.Assert, ast.Import,
        ast.ImportFrom, ast.Expr, ast.Pass, ast.Break, ast.Continue,
        ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Lambda, ast.IfExp, ast.Dict, ast.Set,
        ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Compare, ast.Call,
        ast.FormattedValue, ast.JoinedStr, ast.Constant, ast.Attribute, ast.Subscript,
        ast.Starred, ast.Name, ast.List, ast.Tuple, ast.Slice,
        ast.Load, ast.Store, ast.comprehension, ast.arguments, ast.arg, ast.keyword,
        ast.alias, ast.withitem, *_OPERATORS,
    }
)  # fmt: skip

_REASONS: dict[str, str] = {
    "Global": "global statements rebind module names from inside functions",
    "Nonlocal": "nonlocal statements rebind names of enclosing functions",
    "NamedExpr": "the walrus operator binds names from inside expressions",
    "Match": "match statements read attributes through class patterns",
    "Try": "try/except hands exceptions, tracebacks and frames to the code",
    "TryStar": "except* hands exception groups, tracebacks and frames to the code (CVE-2025-22153)",
    "While": "while loops are unbounded; iterate with for",
    "Delete": "del makes later lookups fall through to builtins",
    "Yield": "generators carry frames (gi_frame)",
    "YieldFrom": "generators carry frames (gi_frame)",
    "Await": "coroutines carry frames (cr_frame)",
    "AsyncFunctionDef": "coroutines carry frames (cr_frame)",
    "AsyncFor": "async iteration needs coroutines",
    "AsyncWith": "async context managers need coroutines",
}
# Nodes that only occur inside a construct already reported above: one finding per construct.
_INNER = frozenset(
    {
        "ExceptHandler", "match_case", "MatchValue", "MatchSingleton", "MatchSequence",
        "MatchMapping", "MatchClass", "MatchStar", "MatchAs", "MatchOr", "Del",
    }
)  # fmt: skip


class SyntaxRule(Rule):
    code = "SV107"
    summary = "only allowlisted syntax (no global/nonlocal/walrus/match/try/while/del/yield/async)"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for kind, nodes in ctx.parsed.by_type.items():
            if kind in ALLOWED_NODES or kind.__name__ in _INNER:
                continue
            reason = _REASONS.get(kind.__name__, f"{kind.__name__} is not allowed in a model file")
            for node in nodes:
                yield ctx.at(self.code, node, reason)
