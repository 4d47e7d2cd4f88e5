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
(a helper method or an attribute it sets) and `_x` is not nn.Module's own state
(`_modules`, `_forward_hooks`, `_apply` ...). Attribute *assignment* is only on `self`:
stores elsewhere could rewrite a class shared with the trainer.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Iterator

from sentinel.validator._api import NN_MODULE_PRIVATE
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
                yield ctx.at(self.code, node, "attributes may only be assigned on self")

    @staticmethod
    def _on_self(ctx: ModuleContext, node: ast.Attribute) -> bool:
        root: ast.expr = node.value
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
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
            and node.attr not in NN_MODULE_PRIVATE
        )
