"""SV112: no method reached through a class: `Cls.method(obj, ...)` hands the method a foreign self.

Inside a method, `self.<name> = value` is the one store the policy allows. Called as
`MyNet.calibrate(torch.Tensor)`, that same store monkeypatches `torch.Tensor` for the trainer
too; `nn.Module.set_submodule(nn.Linear, ...)` and `collections.abc.Mapping.register(int)`
rewrite shared classes and interpreter-wide tables. So attribute access on a *class* is
refused whether it is called or only read (`f = MyNet.calibrate` is the same gadget one step
later), with these exceptions:
- constants a class in this file assigns in its own body (`Config.WIDTH`, NamedTuple and
  dataclass field defaults) are data, not methods;
- `super().method(...)` and the old spelling `super(ThisFileClass, self)`: both bind the
  running method's own self; `super(Cls, obj)` with any other object binds that object and
  is refused;
- classmethod constructors in CLASS_CONSTRUCTORS, which build a new object from tensors.
Module-level functions (`torch.*`, `F.*`, `nn.init.*`, `einops.*`) are namespace members,
not class attributes, so the functional API is untouched by this rule.
A class of this file whose methods store on `self` (`_stateful.py`) may not become a value
either (`self.kind = Model; self.kind.calibrate(torch.Tensor)`, `block=Model` as a default,
`[Model]`): it may only be called, subclassed, tested with isinstance/issubclass, named in
`super(Model, self)` or in an annotation. Classes whose methods only read `self` (the usual
`block=BasicBlock` pattern) may be passed around freely: unbound, they cannot write anywhere.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sentinel.validator._audit import AUDITED_CLASSES
from sentinel.validator._context import ModuleContext
from sentinel.validator._stateful import stateful_classes
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["CLASS_CONSTRUCTORS", "ClassAccessRule", "class_constants"]

CLASS_CONSTRUCTORS = frozenset(
    {"torch.nn.Embedding.from_pretrained", "torch.nn.EmbeddingBag.from_pretrained"}
)


def class_constants(cls: ast.ClassDef) -> frozenset[str]:
    """Names a class body binds to data (not functions): readable through the class.

    An alias of a method (`helper2 = helper`) is a method too, so an assignment that mentions
    any name the class body binds to a function is not a constant.
    """
    methods = {stmt.name for stmt in cls.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
    names: set[str] = set()
    for stmt in cls.body:
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            continue
        if stmt.value is not None and any(
            isinstance(n, ast.Name) and n.id in methods for n in ast.walk(stmt.value)
        ):
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(names)


class ClassAccessRule(Rule):
    code = "SV112"
    summary = "no attribute access through classes (Cls.method, nn.Module.x); zero-arg super() only"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for node in ctx.nodes(ast.Attribute):
            assert isinstance(node, ast.Attribute)
            value = node.value
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super":
                if not _plain_super(ctx, value) and ctx.resolve(value.func).kind == "builtin":
                    yield ctx.at(
                        self.code, value, "super() with arguments binds any object as self; use super()"
                    )
                continue
            local = self._local_class(ctx, value)
            if local is not None:
                if node.attr not in class_constants(local):
                    yield ctx.at(
                        self.code,
                        node,
                        f"{local.name}.{node.attr} reaches a method through the class (a foreign self);"
                        " call it on self or make it a module-level function",
                    )
                continue
            path = self._imported_class(ctx, value)
            if path is not None and f"{path}.{node.attr}" not in CLASS_CONSTRUCTORS:
                yield ctx.at(
                    self.code,
                    node,
                    f"{path}.{node.attr} is reached through a class: unbound methods take any object"
                    " as self and class attributes are shared with the trainer",
                )

        yield from self._class_values(ctx)

    def _class_values(self, ctx: ModuleContext) -> Iterator[Violation]:
        stateful = stateful_classes(ctx)
        if not stateful:
            return
        annotations = ctx.annotation_nodes
        for node in ctx.nodes(ast.Name):
            assert isinstance(node, ast.Name)
            if node.id not in stateful or not isinstance(node.ctx, ast.Load) or node in annotations:
                continue
            if self._local_class(ctx, node) is None or _class_position(ctx, node):
                continue
            yield ctx.at(
                self.code,
                node,
                f"class {node.id} has methods that store on self; as a value it could run them with a"
                " foreign self (X.method(obj)); instantiate it, or keep its methods read-only",
            )

    @staticmethod
    def _local_class(ctx: ModuleContext, value: ast.expr) -> ast.ClassDef | None:
        if not isinstance(value, ast.Name) or ctx.resolve(value).kind != "global":
            return None
        bindings = ctx.analysis.module.bindings.get(value.id, [])
        if bindings and all(isinstance(b, ast.ClassDef) for b in bindings):
            return ctx.classes.get(value.id)
        return None

    @staticmethod
    def _imported_class(ctx: ModuleContext, value: ast.expr) -> str | None:
        if not isinstance(value, (ast.Name, ast.Attribute)):
            return None
        step = ctx.qualified(value)
        if step is not None and step.kind == "member" and step.path in AUDITED_CLASSES:
            return step.path
        return None


def _plain_super(ctx: ModuleContext, call: ast.Call) -> bool:
    if call.keywords:
        return False
    if not call.args:
        return True
    if len(call.args) != 2:
        return False
    cls, obj = call.args
    return (
        isinstance(cls, ast.Name)
        and ClassAccessRule._local_class(ctx, cls) is not None
        and isinstance(obj, ast.Name)
        and obj.id == "self"
        and ctx.resolve(obj).kind == "local"
    )


def _class_position(ctx: ModuleContext, node: ast.Name) -> bool:
    """Where a class name is not a value that escapes: called, based on, tested, super()'d."""
    parent = ctx.parent(node)
    if isinstance(parent, ast.Call) and parent.func is node:
        return True
    if isinstance(parent, ast.ClassDef) and node in parent.bases:
        return True
    if isinstance(parent, ast.Attribute) and parent.value is node:
        return True  # judged by the attribute check above
    call = ctx.parent(parent) if isinstance(parent, ast.Tuple) else parent
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
        name = call.func.id
        if (
            name in ("isinstance", "issubclass")
            and len(call.args) == 2
            and (call.args[1] is node or call.args[1] is parent)
        ):
            return True
        if name == "super" and call.args and call.args[0] is node:
            return True
    return False
