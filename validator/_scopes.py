"""Static name resolution that follows CPython's scoping rules exactly where it matters.

Which object a name denotes decides everything downstream (is `eval` the builtin or a
parameter? is `t` the torch module?), and sandbox escapes live in the corners of the rules:
default values, decorators, class bases and a comprehension's first iterable are evaluated in
the *enclosing* scope; class bodies are invisible to the functions inside them. The builder
mirrors those corners; `global`, `nonlocal`, `del` and the walrus, which would make
resolution dynamic, are rejected by the syntax rule, and rebinding builtins or imports at
module or class level (where lookups fall back at run time) by the names rule.

Only runs on trees that passed the depth check, so its recursion is bounded.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

from sentinel.validator._source import child_nodes

__all__ = ["BUILTIN_NAMES", "Analysis", "ImportBinding", "Resolution", "Scope", "analyse"]

# Every name that falls through to builtins at run time. `site` adds a few interactive helpers
# that exist in the container too; list them even if the host process lacks them.
BUILTIN_NAMES = frozenset(dir(builtins)) | {"exit", "quit", "help", "copyright", "credits", "license"}

_MISSING = object()


@dataclass(eq=False, slots=True)
class Scope:
    """One namespace: module, class, function, lambda or comprehension, with what it binds."""

    kind: str
    node: ast.AST
    parent: Scope | None
    bindings: dict[str, list[ast.AST]] = field(default_factory=dict)

    def bind(self, name: str, node: ast.AST) -> None:
        self.bindings.setdefault(name, []).append(node)


@dataclass(frozen=True, slots=True)
class ImportBinding:
    """A module-level import: `name` denotes `target` (a dotted path such as torch.nn.Linear)."""

    name: str
    target: str
    node: ast.AST


@dataclass(frozen=True, slots=True)
class Resolution:
    """Where a name lookup lands: local|enclosing|class|global|import|builtin|undefined."""

    kind: str
    scope: Scope | None = None
    binding: ImportBinding | None = None


@dataclass(slots=True)
class Analysis:
    module: Scope
    scope_of: dict[ast.AST, Scope]
    scopes: list[Scope]
    imports: dict[str, list[ImportBinding]]

    def resolve(self, node: ast.Name) -> Resolution:
        scope = self.scope_of.get(node, self.module)
        return self.resolve_in(node.id, scope)

    def resolve_in(self, name: str, scope: Scope) -> Resolution:
        current: Scope | None = scope
        first = True
        while current is not None:
            if current.kind == "class" and not first:
                current = current.parent  # class bodies are invisible to nested scopes
                continue
            if name in current.bindings:
                if current.kind == "module":
                    found = self.imports.get(name)
                    if found:  # rebinding an import is itself rejected (names rule)
                        return Resolution("import", current, found[-1])
                    return Resolution("global", current)
                if current.kind == "class":
                    return Resolution("class", current)
                return Resolution("local" if current is scope else "enclosing", current)
            first = False
            current = current.parent
        return Resolution("builtin" if name in BUILTIN_NAMES else "undefined")


def analyse(tree: ast.Module) -> Analysis:
    builder = _Builder(tree)
    builder.visit_body(tree.body, builder.module)
    return Analysis(builder.module, builder.scope_of, builder.scopes, builder.imports)


class _Builder:
    def __init__(self, tree: ast.Module) -> None:
        self.module = Scope("module", tree, None)
        self.scopes = [self.module]
        self.scope_of: dict[ast.AST, Scope] = {}
        self.imports: dict[str, list[ImportBinding]] = {}
        self._handlers: dict[type[ast.AST], object] = {}

    def new_scope(self, kind: str, node: ast.AST, parent: Scope) -> Scope:
        scope = Scope(kind, node, parent)
        self.scopes.append(scope)
        return scope

    def visit_body(self, body: list[ast.stmt], scope: Scope) -> None:
        for stmt in body:
            self.visit(stmt, scope)

    def visit_all(self, nodes: list[ast.AST] | list[ast.expr], scope: Scope) -> None:
        for node in nodes:
            self.visit(node, scope)

    def visit(self, node: ast.AST | None, scope: Scope) -> None:
        if node is None:
            return
        kind = type(node)
        handler = self._handlers.get(kind, _MISSING)
        if handler is _MISSING:
            handler = self._handlers[kind] = getattr(self, "visit_" + kind.__name__, None)
        if handler is not None:
            handler(node, scope)  # type: ignore[operator]
            return
        for child in child_nodes(node):
            self.visit(child, scope)

    # names and bindings -------------------------------------------------------------------
    def visit_Name(self, node: ast.Name, scope: Scope) -> None:
        self.scope_of[node] = scope
        if not isinstance(node.ctx, ast.Load):
            scope.bind(node.id, node)

    def visit_NamedExpr(self, node: ast.NamedExpr, scope: Scope) -> None:
        self.visit(node.value, scope)
        target_scope = scope
        while target_scope.kind == "comprehension" and target_scope.parent is not None:
            target_scope = target_scope.parent  # PEP 572: binds in the enclosing function
        self.visit(node.target, target_scope)

    def visit_Import(self, node: ast.Import, scope: Scope) -> None:
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            target = alias.name if alias.asname else alias.name.split(".")[0]
            self._bind_import(local, target, alias, scope)

    def visit_ImportFrom(self, node: ast.ImportFrom, scope: Scope) -> None:
        base = "." * (node.level or 0) + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                continue  # the imports rule rejects star imports; they bind nothing we can see
            local = alias.asname or alias.name
            self._bind_import(local, f"{base}.{alias.name}" if base else alias.name, alias, scope)

    def _bind_import(self, local: str, target: str, alias: ast.alias, scope: Scope) -> None:
        scope.bind(local, alias)
        if scope is self.module:
            self.imports.setdefault(local, []).append(ImportBinding(local, target, alias))

    def visit_ExceptHandler(self, node: ast.ExceptHandler, scope: Scope) -> None:
        self.visit(node.type, scope)
        if node.name:
            scope.bind(node.name, node)
        self.visit_body(node.body, scope)

    def visit_Global(self, node: ast.Global, scope: Scope) -> None:
        for name in node.names:
            scope.bind(name, node)  # rejected by the syntax rule; bound so nothing resolves past it

    visit_Nonlocal = visit_Global

    def visit_MatchAs(self, node: ast.MatchAs, scope: Scope) -> None:
        if node.name:
            scope.bind(node.name, node)
        self.visit(node.pattern, scope)

    def visit_MatchStar(self, node: ast.MatchStar, scope: Scope) -> None:
        if node.name:
            scope.bind(node.name, node)

    def visit_MatchMapping(self, node: ast.MatchMapping, scope: Scope) -> None:
        if node.rest:
            scope.bind(node.rest, node)
        self.visit_all(node.keys, scope)
        self.visit_all(node.patterns, scope)

    # scopes -------------------------------------------------------------------------------
    def _visit_signature(self, args: ast.arguments, outer: Scope, inner: Scope) -> None:
        """Defaults and annotations run in the enclosing scope; the parameters bind inside."""
        self.visit_all(args.defaults, outer)
        self.visit_all([d for d in args.kw_defaults if d is not None], outer)
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        every += [a for a in (args.vararg, args.kwarg) if a is not None]
        for arg in every:
            self.visit(arg.annotation, outer)
            self.scope_of[arg] = inner
            inner.bind(arg.arg, arg)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> None:
        self.visit_all(node.decorator_list, scope)
        inner = self.new_scope("function", node, scope)
        self._visit_signature(node.args, scope, inner)
        self.visit(node.returns, scope)
        scope.bind(node.name, node)
        self.visit_body(node.body, inner)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda, scope: Scope) -> None:
        inner = self.new_scope("lambda", node, scope)
        self._visit_signature(node.args, scope, inner)
        self.visit(node.body, inner)

    def visit_ClassDef(self, node: ast.ClassDef, scope: Scope) -> None:
        self.visit_all(node.decorator_list, scope)
        self.visit_all(node.bases, scope)
        self.visit_all([k.value for k in node.keywords], scope)
        inner = self.new_scope("class", node, scope)
        self.visit_body(node.body, inner)
        scope.bind(node.name, node)

    def _visit_comprehension(self, node: ast.AST, scope: Scope, results: list[ast.expr]) -> None:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        self.visit(generators[0].iter, scope)  # the first iterable runs in the enclosing scope
        inner = self.new_scope("comprehension", node, scope)
        for index, generator in enumerate(generators):
            if index:
                self.visit(generator.iter, inner)
            self.visit(generator.target, inner)
            self.visit_all(generator.ifs, inner)
        self.visit_all(results, inner)

    def visit_ListComp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp, scope: Scope) -> None:
        self._visit_comprehension(node, scope, [node.elt])

    visit_SetComp = visit_ListComp
    visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node: ast.DictComp, scope: Scope) -> None:
        self._visit_comprehension(node, scope, [node.key, node.value])
