"""SV114: container keys are known statically, and nn.ParameterDict cannot be reached by a variable.

`nn.ParameterDict.__getitem__`/`__setitem__` are `getattr`/`setattr` with the key:
`pd["__cl" + "ass__"]` reads any attribute and `pd[k] = v` writes one (an instance
`__array_interface__` then hands numpy a raw pointer). Other containers are safer by
construction (checked against torch by test_member_audit.py): `nn.ModuleDict[k]` is a dict
lookup in `_modules`, `ModuleList`/`Sequential`/`ParameterList` take integers or slices.
So:
- any subscript whose key is a string built at run time (concatenation, f-string, `%`,
  `str()`, string methods) is refused, on every value, unless its first character is a
  literal letter (`self.branches[f"k{k}"]`: such a key can never be a private or dunder
  name); a literal string key must not start with `_` (private and dunder names are what
  getattr-by-key is after); dict literals follow the same key policy, since they are what
  `nn.ParameterDict({...})`, `nn.ModuleDict({...})` and `.update({...})` store by key;
- a ParameterDict exists only as `self.<name> = nn.ParameterDict(...)` (no subclass, no
  alias, no element of another container), built empty or from a dict literal with literal
  identifier keys (`dict(zip(names, values))` would set attributes named at run time), and
  `self.<name>` is used only as `self.<name>["literal"]`, `.keys()/.values()/.items()/.get()`,
  `len(...)`, `in`, and iteration: never passed, returned, stored elsewhere or formatted;
- a file holding a ParameterDict may not enumerate modules generically (`modules()`,
  `children()`, `named_modules()`, `named_children()`, `apply(fn)`), since those hand the
  ParameterDict to code that could index it with a variable.
Subscripts inside annotations (`Literal["relu"]`) are type expressions, never evaluated.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sentinel.validator._context import ModuleContext
from sentinel.validator._strings import is_stringy, letter_led, literal_key
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["MODULE_ENUMERATION", "PARAMETER_DICT", "PD_METHODS", "ContainerKeyRule"]

PARAMETER_DICT = "torch.nn.ParameterDict"
PD_METHODS = frozenset({"keys", "values", "items", "get"})
MODULE_ENUMERATION = frozenset({"modules", "children", "named_modules", "named_children", "apply"})


class ContainerKeyRule(Rule):
    code = "SV114"
    summary = "no computed or private subscript keys; nn.ParameterDict only as self.<name>[literal]"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        annotations = ctx.annotation_nodes
        for node in ctx.nodes(ast.Subscript):
            assert isinstance(node, ast.Subscript)
            if node in annotations:
                continue
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                if key.value.startswith("_"):
                    yield ctx.at(
                        self.code, key, f"key {key.value!r} names private state; keys start with a letter"
                    )
            elif is_stringy(key) and not letter_led(key):
                yield ctx.at(
                    self.code,
                    key,
                    "subscript key is a string built at run time that could name private state;"
                    ' use a literal key or one that starts with a letter (f"block{i}")',
                )
        for node in ctx.nodes(ast.Dict):
            assert isinstance(node, ast.Dict)
            for key in node.keys:  # a dict literal feeds ModuleDict/ParameterDict(...) and update()
                if key is None or node in annotations:
                    continue
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    if key.value.startswith("_"):
                        yield ctx.at(
                            self.code, key, f"key {key.value!r} names private state; keys start with a letter"
                        )
                elif is_stringy(key) and not letter_led(key):
                    yield ctx.at(
                        self.code, key, "dict key is a string built at run time that could name private state"
                    )
        names = yield from self._parameter_dicts(ctx)
        if names:
            yield from self._uses(ctx, names)

    def _parameter_dicts(self, ctx: ModuleContext) -> Iterator[Violation]:  # type: ignore[misc]
        names: set[str] = set()
        short = PARAMETER_DICT.rsplit(".", 1)[1]
        for node in [*ctx.nodes(ast.Attribute), *ctx.nodes(ast.Name)]:
            if isinstance(node, ast.Attribute) and node.attr != short:
                continue  # cheap filter: the chain must end in .ParameterDict ...
            if isinstance(node, ast.Name) and node.id not in ctx.analysis.imports:
                continue  # ... or be a name bound by an import
            if node in ctx.annotation_nodes or not isinstance(node, (ast.Attribute, ast.Name)):
                continue
            step = ctx.qualified(node)
            if step is None or step.kind != "member" or step.path != PARAMETER_DICT:
                continue
            name = _created_on_self(ctx, node)
            call = ctx.parent(node)
            if name is not None and isinstance(call, ast.Call) and not _literal_contents(call):
                yield ctx.at(
                    self.code,
                    call,
                    "nn.ParameterDict(...) takes nothing or a dict literal with literal identifier keys",
                )
            elif name is None:
                yield ctx.at(
                    self.code,
                    node,
                    "nn.ParameterDict indexes by getattr;"
                    " create it only as self.<name> = nn.ParameterDict(...)",
                )
            else:
                names.add(name)
        return names

    def _uses(self, ctx: ModuleContext, names: set[str]) -> Iterator[Violation]:
        for node in ctx.nodes(ast.Attribute):
            assert isinstance(node, ast.Attribute)
            if node.attr in MODULE_ENUMERATION:
                yield ctx.at(
                    self.code,
                    node,
                    f".{node.attr}() would hand the file's ParameterDict to generic code;"
                    " iterate your own attributes",
                )
            if node.attr not in names:
                continue
            if not (isinstance(node.value, ast.Name) and node.value.id == "self"):
                yield ctx.at(self.code, node, f"ParameterDict {node.attr!r} is used only as self.{node.attr}")
            elif not _allowed_use(ctx, node):
                yield ctx.at(
                    self.code,
                    node,
                    f"self.{node.attr} (a ParameterDict) may only be indexed with a literal key, iterated,"
                    " measured with len() or tested with in",
                )


def _literal_contents(call: ast.Call) -> bool:
    if call.keywords or len(call.args) > 1:
        return False
    if not call.args:
        return True
    given = call.args[0]
    return isinstance(given, ast.Dict) and all(k is not None and literal_key(k) for k in given.keys)


def _created_on_self(ctx: ModuleContext, ref: ast.expr) -> str | None:
    call = ctx.parent(ref)
    if not (isinstance(call, ast.Call) and call.func is ref):
        return None
    assign = ctx.parent(call)
    if not (isinstance(assign, ast.Assign) and assign.value is call and len(assign.targets) == 1):
        return None
    target = assign.targets[0]
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        return target.attr
    return None


def _allowed_use(ctx: ModuleContext, node: ast.Attribute) -> bool:
    parent = ctx.parent(node)
    if isinstance(node.ctx, ast.Store):
        return (
            isinstance(parent, ast.Assign)
            and isinstance(parent.value, ast.Call)
            and (_created_on_self(ctx, parent.value.func) is not None)
        )
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return literal_key(parent.slice) is not None
    if isinstance(parent, ast.Attribute) and parent.value is node:
        call = ctx.parent(parent)
        return parent.attr in PD_METHODS and isinstance(call, ast.Call) and call.func is parent
    if isinstance(parent, ast.Call) and node in parent.args:
        return isinstance(parent.func, ast.Name) and parent.func.id == "len" and len(parent.args) == 1
    if isinstance(parent, (ast.For, ast.comprehension)):
        return parent.iter is node
    if isinstance(parent, ast.Compare):
        return node in parent.comparators and all(isinstance(op, (ast.In, ast.NotIn)) for op in parent.ops)
    return False
