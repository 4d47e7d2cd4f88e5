"""SV105: attribute access stays away from introspection, I/O and other objects' private state.

Values flow everywhere, so some attribute names are refused on *any* object:
- frame, generator, coroutine, traceback, code and cell internals (`gi_frame`, `f_back`,
  `f_globals`, `tb_frame`, `co_code`, `cell_contents` ...): the pyjail route from any
  generator expression back to a module's globals (RestrictedPython CVE-2023-37271,
  simpleeval #138). The list is derived from the interpreter's own types, not typed by hand.
- file, pickle and raw-memory methods reachable from tensors and arrays: `untyped_storage()
  .from_file`, `ndarray.tofile/dump/ctypes`, storage `.type("pkg.mod")` (imports by name).
- `mro` (class walking) and `with_traceback`.
Private names (`_x`) are refused except `self._x` where the file itself defines `_x`
(a helper method or an attribute it sets) and `_x` is not private state of nn.Module,
tensors, parameters or storages (`_modules`, `_forward_hooks`, `_typed_storage`,
`_set_from_file` ...). A class may not define those names either: overriding `_call_impl`
would rewire hooks the trainer relies on, and defining `_typed_storage` would "allow"
`self._typed_storage()` after `Model.helper(tensor)` passed a tensor in as self. For the
same reason `self` may only be bound as the first parameter of a method.
Attribute *assignment* (plain, augmented, annotated, tuple targets, for/with targets) is
only `self.<name>`, one level: `self.kind = torch.Tensor; self.kind.abs = fn` would rewrite a
class shared with the trainer, and `self.fc.weight.grad = ...` an object the trainer owns.
Stores into subscripts (`self.buf[0] = ...`, `x[mask] = 0`) are not attribute stores; the
container-key rule (SV114) judges their keys.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Iterator

from sentinel.validator._api import TORCH_PRIVATE
from sentinel.validator._context import ModuleContext, is_dunder
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["INTROSPECTION_ATTRIBUTES", "IO_ATTRIBUTES", "AttributeRule"]

_INTROSPECTION_TYPES = (
    types.CodeType,
    types.FrameType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    types.TracebackType,
    types.CellType,
)
INTROSPECTION_ATTRIBUTES = frozenset(
    name
    for kind in _INTROSPECTION_TYPES
    for name in dir(kind)
    if name.startswith(("co_", "f_", "gi_", "cr_", "ag_", "tb_", "cell_"))
) | {"f_generator", "gi_yieldframe", "func_globals", "func_code", "func_closure", "mro", "with_traceback"}
IO_ATTRIBUTES = frozenset(
    {
        "from_file", "fromfile", "tofile", "dump", "dumps", "load", "loads", "save", "savez",
        "savetxt", "loadtxt", "memmap", "open_memmap", "ctypes", "ctypeslib", "data_as",
        "storage", "untyped_storage", "load_library", "load_module", "exec_module",
        "import_module", "system", "popen", "spawn", "fork", "open", "read_bytes", "read_text",
        "write_bytes", "write_text",
    }
)  # fmt: skip


class AttributeRule(Rule):
    code = "SV105"
    summary = "no introspection/I-O attributes, no foreign private state, stores only on self"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for node in ctx.nodes(ast.Attribute):
            assert isinstance(node, ast.Attribute)
            attr = node.attr
            if attr in INTROSPECTION_ATTRIBUTES:
                yield ctx.at(
                    self.code, node, f"{attr!r} is an introspection attribute (frames, code, classes)"
                )
            elif attr in IO_ATTRIBUTES:
                yield ctx.at(self.code, node, f"{attr!r} reaches files, pickles, raw memory or imports")
            elif attr.startswith("_") and not is_dunder(attr) and not self._own_private(ctx, node):
                yield ctx.at(
                    self.code, node, f"private attribute {attr!r} is not defined by this file on self"
                )
            if not isinstance(node.ctx, ast.Load) and not self._on_self(ctx, node):
                yield ctx.at(
                    self.code,
                    node,
                    "attributes may only be assigned as self.<name> (one level, on self);"
                    " for flags use methods such as .requires_grad_(False)",
                )
        yield from self._self_bindings(ctx)
        for cls in ctx.classes.values():
            for stmt in cls.body:
                for name, where in _defined_names(stmt):
                    if name in TORCH_PRIVATE:
                        yield ctx.at(
                            self.code,
                            where,
                            f"{name!r} would override private state of nn.Module, tensors or storages",
                        )

    def _self_bindings(self, ctx: ModuleContext) -> Iterator[Violation]:
        for scope in ctx.analysis.scopes:
            for node in scope.bindings.get("self", []):
                method = scope.node
                first = None
                if (
                    isinstance(method, ast.FunctionDef)
                    and isinstance(ctx.parent(method), ast.ClassDef)
                    and not _is_static(method)  # a staticmethod's "self" is whatever is passed
                ):
                    positional = [*method.args.posonlyargs, *method.args.args]
                    first = positional[0] if positional else None
                if node is not first:
                    yield ctx.at(self.code, node, "'self' may only be the first parameter of a method")

    @staticmethod
    def _on_self(ctx: ModuleContext, node: ast.Attribute) -> bool:
        root = node.value
        return (
            isinstance(root, ast.Name)
            and root.id == "self"
            and ctx.resolve(root).kind in ("local", "enclosing")
        )

    @staticmethod
    def _own_private(ctx: ModuleContext, node: ast.Attribute) -> bool:
        return (
            isinstance(node.value, ast.Name)
            and node.value.id == "self"
            and node.attr in ctx.defined_attributes
            and node.attr not in TORCH_PRIVATE
        )


def _is_static(method: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in method.decorator_list)


def _defined_names(stmt: ast.stmt) -> list[tuple[str, ast.AST]]:
    if isinstance(stmt, ast.FunctionDef):
        return [(stmt.name, stmt)]
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
    return [(t.id, t) for t in targets if isinstance(t, ast.Name)]
