"""The text under judgement, parsed once by CPython's own parser.

`ast` is the authority for every decision: it is the parser of the interpreter that will
import the file in the container, so it applies the same grammar and the same NFKC
normalisation of identifiers (`ｅｖａｌ` *is* `eval`). libcst keeps the raw spelling and
exact character positions; the unicode rule uses it where that difference matters.

Nothing here may raise on hostile input: sizes are checked before parsing, the depth walk is
iterative, and any parser failure becomes a finding.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sentinel.validator.report import MAX_SNIPPET, Violation

__all__ = [
    "MAX_AST_DEPTH",
    "MAX_BLOCK_DEPTH",
    "MAX_BYTES",
    "MAX_LINES",
    "MAX_LINE_CHARS",
    "ParsedModule",
    "SourceText",
    "child_nodes",
    "parse_module",
]

# Size policy: a generated model is a few hundred lines; anything far larger is either not a
# model or an attempt to hide something from reviewers and to slow the gate down.
MAX_BYTES = 200_000
MAX_LINES = 2_000
MAX_LINE_CHARS = 1_000
# Nesting policy: the rules walk the tree recursively, and deep trees are how parsers and
# reviewers are attacked; real models nest a handful of blocks and a few dozen expressions.
MAX_AST_DEPTH = 100
MAX_BLOCK_DEPTH = 10

# CPython's tokenizer ends lines at \r\n, \r and \n only (str.splitlines would also split at
# \x0c, \x1c, \u2028 ..., shifting every later line number).
_NEWLINE = re.compile(r"\r\n|\r|\n")
_BLOCKS = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.If,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.Match,
    ast.match_case,
    ast.ExceptHandler,
)
if hasattr(ast, "TryStar"):  # pragma: no branch - Python 3.11 has it
    _BLOCKS = (*_BLOCKS, ast.TryStar)


class SourceText:
    """Source text with line access and byte-to-character column conversion for findings."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _NEWLINE.split(text)
        self.encoded: bytes | None
        try:
            self.encoded = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: not a file Python could ever import
            self.encoded = None
        self.sha256 = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def line(self, lineno: int) -> str:
        return self.lines[lineno - 1] if 1 <= lineno <= len(self.lines) else ""

    def char_column(self, lineno: int, byte_col: int) -> int:
        """ast columns count UTF-8 bytes; findings count characters (1-based)."""
        line = self.line(lineno)
        if line.isascii():
            return byte_col + 1
        prefix = line.encode("utf-8", "surrogatepass")[: max(byte_col, 0)]
        return len(prefix.decode("utf-8", "replace")) + 1

    def segment(self, node: ast.AST) -> str:
        """The node's source on its first line, cut to a readable snippet."""
        lineno = getattr(node, "lineno", 1)
        line = self.line(lineno).encode("utf-8", "surrogatepass")
        start = getattr(node, "col_offset", 0)
        end_line = getattr(node, "end_lineno", lineno)
        end = getattr(node, "end_col_offset", None)
        chunk = line[start:end] if end_line == lineno and end is not None else line[start:]
        text = chunk.decode("utf-8", "replace").rstrip()
        if end_line != lineno:
            text += " ..."
        return text if len(text) <= MAX_SNIPPET else text[: MAX_SNIPPET - 3] + "..."

    def at(self, code: str, node: ast.AST, message: str) -> Violation:
        lineno = max(getattr(node, "lineno", 1), 1)
        column = self.char_column(lineno, getattr(node, "col_offset", 0))
        return Violation(code, lineno, column, message, self.segment(node))

    def at_line(self, code: str, lineno: int, column: int, message: str) -> Violation:
        lineno = min(max(lineno, 1), max(len(self.lines), 1))
        snippet = self.line(lineno).strip()
        if len(snippet) > MAX_SNIPPET:
            snippet = snippet[: MAX_SNIPPET - 3] + "..."
        return Violation(code, lineno, max(column, 1), message, snippet)


@dataclass(slots=True)
class ParsedModule:
    """The outcome of parsing: a tree with its indexes, or the reason there is none.

    `tree` is None when the text was too large to parse or did not parse; `too_deep` holds the
    first node past a nesting limit. Rules that need the tree only run when both are clear.
    """

    source: SourceText
    tree: ast.Module | None = None
    parse_error: Violation | None = None
    skipped_for_size: bool = False
    too_deep: list[tuple[ast.AST, str]] = field(default_factory=list)
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)
    by_type: dict[type[ast.AST], list[ast.AST]] = field(default_factory=lambda: defaultdict(list))

    @property
    def usable(self) -> bool:
        return self.tree is not None and not self.too_deep

    def nodes(self, *types: type[ast.AST]) -> list[ast.AST]:
        found: list[ast.AST] = []
        for kind in types:
            found.extend(self.by_type.get(kind, ()))
        return found

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(node)


def parse_module(source: SourceText, parse_code: str = "SV001") -> ParsedModule:
    """Parse with CPython's parser and index the tree iteratively (no recursion on hostile depth)."""
    parsed = ParsedModule(source)
    if source.encoded is None or len(source.encoded) > MAX_BYTES or len(source.lines) > MAX_LINES:
        parsed.skipped_for_size = True
        return parsed
    try:
        tree = ast.parse(source.text, filename="<generated>")
    except SyntaxError as err:
        lineno = err.lineno or 1
        parsed.parse_error = source.at_line(parse_code, lineno, err.offset or 1, f"syntax error: {err.msg}")
        return parsed
    except (ValueError, RecursionError, MemoryError, OverflowError) as err:
        # null bytes, pathological nesting, integer-string limits: all are rejections
        reason = type(err).__name__ if not str(err) else str(err).splitlines()[0]
        parsed.parse_error = source.at_line(parse_code, 1, 1, f"source cannot be parsed: {reason}")
        return parsed
    parsed.tree = tree
    _index(parsed, tree)
    return parsed


def _index(parsed: ParsedModule, tree: ast.Module) -> None:
    """Record parents, nodes by type and the first nesting-limit breach, in one pass."""
    stack: list[tuple[ast.AST, int, int]] = [(tree, 0, 0)]
    while stack:
        node, depth, blocks = stack.pop()
        parsed.by_type[type(node)].append(node)
        if isinstance(node, _BLOCKS):
            blocks += 1
        if depth > MAX_AST_DEPTH or blocks > MAX_BLOCK_DEPTH:
            what = (
                f"expression nesting deeper than {MAX_AST_DEPTH}"
                if depth > MAX_AST_DEPTH
                else f"block nesting deeper than {MAX_BLOCK_DEPTH}"
            )
            parsed.too_deep.append((node, what))
            return  # indexes are incomplete now, so no tree rule may run (ParsedModule.usable)
        for child in child_nodes(node):
            parsed.parents[child] = node
            stack.append((child, depth + 1, blocks))


# Fields that never hold child nodes worth visiting: names, flags, and `ctx` (the shared
# Load/Store/Del singletons; `del` itself is the Delete statement the syntax rule sees).
_LEAF_FIELDS = frozenset(
    {"ctx", "id", "attr", "arg", "kind", "type_comment", "level", "conversion", "is_async"}
)
_CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """ast.iter_child_nodes without the generator overhead and without ctx singletons."""
    kind = type(node)
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        fields = _CHILD_FIELDS[kind] = tuple(f for f in kind._fields if f not in _LEAF_FIELDS)
    children: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            children.append(value)
        elif isinstance(value, list):
            children.extend(item for item in value if isinstance(item, ast.AST))
    return children
