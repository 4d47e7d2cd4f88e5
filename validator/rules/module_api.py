"""SV102: library use goes through allowlisted namespaces to allowlisted members, read-only.

Every name bound by an import is a *module handle* or a *member value*. A handle may only be
the root of an attribute chain that the allowlist resolves (`F.relu`, `nn.Linear`,
`torch.nn.init.zeros_`); it can never itself become a value (`t = torch`, `f(nn)`, a default
argument, a container element), because a module value could later reach `torch.hub`
under a name no static check can follow. Chains are resolved from the import they start at,
so aliases change nothing: `import torch as t; t.hub.load`, `from torch import hub`,
`nn = torch.nn` and `F.torch.load` are all refused. Imported objects are read-only:
assigning to `torch.x` or `nn.Module.forward` would monkeypatch the trainer.
Annotations are exempt from the member allowlist (`x: np.ndarray`, `-> torch.Tensor`) when
the file starts with `from __future__ import annotations`: they are then strings that nothing
in the runtime evaluates (docs/security.md, "Annotations"), and SV108 still keeps them type
expressions. Without that import Python evaluates them while defining the function or class,
so they must resolve like any other chain.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from sentinel.validator._api import NAMESPACES, classify
from sentinel.validator._context import ModuleContext
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["ModuleApiRule"]


class ModuleApiRule(Rule):
    code = "SV102"
    summary = "torch/numpy/einops/math/typing used only through allowlisted members, never as values"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        yield from self._from_imports(ctx)
        annotations = ctx.annotation_nodes if _lazy_annotations(ctx) else frozenset()
        for node in ctx.nodes(ast.Attribute):
            assert isinstance(node, ast.Attribute)
            if node in annotations:
                continue
            if ctx.is_chain_top(node):
                yield from self._chain(ctx, node)
        for node in ctx.nodes(ast.Name):
            assert isinstance(node, ast.Name)
            binding = ctx.import_of(node) if isinstance(node.ctx, ast.Load) else None
            if binding is None or node in annotations:
                continue
            kind = classify(binding.target)
            parent = ctx.parent(node)
            if kind == "refused":
                yield ctx.at(self.code, node, f"{node.id!r} comes from a refused import ({binding.target})")
            elif kind == "namespace" and not (isinstance(parent, ast.Attribute) and parent.value is node):
                yield ctx.at(
                    self.code, node, f"module {binding.target!r} used as a value; use its members directly"
                )

    def _from_imports(self, ctx: ModuleContext) -> Iterator[Violation]:
        for node in ctx.nodes(ast.ImportFrom):
            assert isinstance(node, ast.ImportFrom)
            if node.level or node.module not in NAMESPACES:
                continue  # the import rule reports these
            for alias in node.names:
                if alias.name != "*" and classify(f"{node.module}.{alias.name}") == "refused":
                    yield ctx.at(
                        self.code,
                        alias,
                        f"{node.module}.{alias.name} is not in the allowed {node.module} API",
                    )

    def _chain(self, ctx: ModuleContext, node: ast.Attribute) -> Iterator[Violation]:
        chain = ctx.chain(node)
        if chain is None:
            return
        binding = ctx.import_of(chain.root)
        if binding is None or classify(binding.target) == "refused":
            return  # not rooted at an import, or the root Name is already reported as refused
        spelled = ".".join([chain.root.id, *chain.attrs])
        if not isinstance(node.ctx, ast.Load):
            yield ctx.at(self.code, node, f"assigning to {spelled} would modify an imported module or class")
        step = ctx.qualified(node)
        if step is None:
            return
        if step.kind == "refused":
            hint = (
                "; in an annotation, add `from __future__ import annotations` so it is never evaluated"
                if node in ctx.annotation_nodes
                else ""
            )
            yield ctx.at(
                self.code, node, f"{spelled} resolves to {step.path}, which is not an allowed API{hint}"
            )
        elif step.kind == "namespace" and isinstance(node.ctx, ast.Load):
            yield ctx.at(self.code, node, f"module {step.path!r} used as a value; use its members directly")


def _lazy_annotations(ctx: ModuleContext) -> bool:
    """`from __future__ import annotations`: annotations stay strings (PEP 563)."""
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in ctx.tree.body
    )
