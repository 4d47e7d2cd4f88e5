"""What every rule sees: the parsed module plus the shared, lazily computed analyses.

Rules stay small because the expensive facts (scopes, import chains, which classes are models)
are computed once here and shared, which is also what keeps a 300-line file far below 50 ms.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property

from sentinel.validator._api import Step, classify, walk
from sentinel.validator._scopes import Analysis, ImportBinding, Resolution, analyse
from sentinel.validator._source import ParsedModule, SourceText
from sentinel.validator.report import Violation

__all__ = ["Chain", "ModuleContext", "is_dunder"]


def is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


@dataclass(frozen=True, slots=True)
class Chain:
    """`root.a.b.c` with the root Name and the attribute names in source order."""

    root: ast.Name
    attrs: list[str]


class ModuleContext:
    """Shared view of one parsed module; only built for trees that passed size and depth checks."""

    def __init__(self, parsed: ParsedModule, class_name: str | None = None) -> None:
        self.parsed = parsed
        self.source: SourceText = parsed.source
        self.class_name = class_name

    # positions ---------------------------------------------------------------------------
    def at(self, code: str, node: ast.AST, message: str) -> Violation:
        anchor: ast.AST | None = node
        while anchor is not None and not hasattr(anchor, "lineno"):
            anchor = self.parsed.parent(anchor)
        return self.source.at(code, anchor if anchor is not None else node, message)

    # tree access -------------------------------------------------------------------------
    @property
    def tree(self) -> ast.Module:
        assert self.parsed.tree is not None, "tree rules run only on parsed modules"
        return self.parsed.tree

    def nodes(self, *types: type[ast.AST]) -> list[ast.AST]:
        return self.parsed.nodes(*types)

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parsed.parent(node)

    @cached_property
    def analysis(self) -> Analysis:
        return analyse(self.tree)

    def resolve(self, node: ast.Name) -> Resolution:
        return self.analysis.resolve(node)

    # chains and imports ------------------------------------------------------------------
    def chain(self, node: ast.Attribute) -> Chain | None:
        attrs: list[str] = []
        current: ast.expr = node
        while isinstance(current, ast.Attribute):
            attrs.append(current.attr)
            current = current.value
        if not isinstance(current, ast.Name):
            return None
        attrs.reverse()
        return Chain(current, attrs)

    def is_chain_top(self, node: ast.Attribute) -> bool:
        parent = self.parent(node)
        return not (isinstance(parent, ast.Attribute) and parent.value is node)

    def import_of(self, name: ast.Name) -> ImportBinding | None:
        resolution = self.resolve(name)
        return resolution.binding if resolution.kind == "import" else None

    def qualified(self, node: ast.expr) -> Step | None:
        """Resolve a Name or attribute chain rooted at an import against the allowlist."""
        if isinstance(node, ast.Name):
            binding = self.import_of(node)
            if binding is None:
                return None
            kind = classify(binding.target)
            return Step(kind, binding.target, 0)
        if isinstance(node, ast.Attribute):
            chain = self.chain(node)
            if chain is None:
                return None
            binding = self.import_of(chain.root)
            if binding is None:
                return None
            kind = classify(binding.target)
            if kind == "member":  # attributes of an imported member are attributes of a value
                return Step("value", ".".join([binding.target, *chain.attrs]), 0)
            if kind == "refused":
                return Step(kind, ".".join([binding.target, *chain.attrs]), 0)
            step = walk(binding.target, chain.attrs)
            if step.consumed < len(chain.attrs) and step.kind == "member":
                rest = ".".join(chain.attrs[step.consumed :])
                return Step("value", f"{step.path}.{rest}", step.consumed)
            return step
        return None

    # classes -----------------------------------------------------------------------------
    @cached_property
    def classes(self) -> dict[str, ast.ClassDef]:
        """Module-level classes by name (the only place the class rule lets classes live)."""
        return {n.name: n for n in self.tree.body if isinstance(n, ast.ClassDef)}

    @cached_property
    def defined_attributes(self) -> frozenset[str]:
        """Attribute names the file itself defines: methods, class attributes, `self.x = ...`."""
        names: set[str] = set()
        for cls in self.classes.values():
            for stmt in cls.body:
                if isinstance(stmt, ast.FunctionDef):
                    names.add(stmt.name)
                elif isinstance(stmt, ast.Assign):
                    names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
                elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    names.add(stmt.target.id)
        for node in self.nodes(ast.Attribute):
            assert isinstance(node, ast.Attribute)
            if (
                isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                names.add(node.attr)
        return frozenset(names)

    # annotations -------------------------------------------------------------------------
    @cached_property
    def annotation_nodes(self) -> frozenset[ast.AST]:
        """Every node inside an annotation (parameters, returns, annotated assignments).

        Annotations are type expressions (SV108 keeps them so) that the runtime never calls:
        see docs/security.md, "Annotations".
        """
        roots: list[ast.AST] = []
        for node in self.nodes(ast.arg):
            assert isinstance(node, ast.arg)
            if node.annotation is not None:
                roots.append(node.annotation)
        for node in self.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
            returns = getattr(node, "returns", None)
            if returns is not None:
                roots.append(returns)
        for node in self.nodes(ast.AnnAssign):
            assert isinstance(node, ast.AnnAssign)
            roots.append(node.annotation)
        found: set[ast.AST] = set()
        for root in roots:
            found.update(ast.walk(root))
        return frozenset(found)
