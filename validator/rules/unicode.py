"""SV003: identifiers are ASCII, and no invisible or direction-changing characters anywhere.

CPython NFKC-normalises identifiers, so `ｅｖａｌ`, `𝐞𝐯𝐚𝐥` or `ᵉval` *are* `eval` when the
file runs, while a reviewer (or a naive filter) sees something else. Every other rule
judges the normalised names from `ast`; this rule rejects the disguise itself. It reads raw
identifiers with libcst, which keeps the spelling and exact positions (PositionProvider).
Bidi controls (CVE-2021-42574, "Trojan Source") and zero-width characters make the code a
reviewer reads differ from the code that runs, so they are refused even inside strings and
comments.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from sentinel.validator._context import ModuleContext
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["UnicodeRule"]

# Bidi embeddings/overrides/isolates and marks, zero-width and other invisible format chars.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad\u180e]")
MAX_FINDINGS = 20


class _NameCollector(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, int, int]] = []

    def visit_Name(self, node: cst.Name) -> None:
        if not node.value.isascii():
            position = self.get_metadata(PositionProvider, node).start
            self.found.append((node.value, position.line, position.column + 1))


class UnicodeRule(Rule):
    code = "SV003"
    summary = "ASCII identifiers; no bidi, zero-width or other invisible characters"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        source = ctx.source
        if source.text.isascii():
            return  # the common case costs one scan and no second parser
        for lineno, line in enumerate(source.lines, 1):
            for match in _INVISIBLE.finditer(line):
                yield source.at_line(
                    self.code,
                    lineno,
                    match.start() + 1,
                    f"invisible or bidi control U+{ord(match.group()):04X} hides what the code does",
                )
        yield from self._identifiers(ctx)

    def _identifiers(self, ctx: ModuleContext) -> Iterator[Violation]:
        source = ctx.source
        try:
            module = cst.parse_module(source.text)
            collector = _NameCollector()
            MetadataWrapper(module, unsafe_skip_copy=True).visit(collector)
        except Exception as err:  # libcst disagreeing with CPython is itself a reason to refuse
            yield source.at_line(
                self.code, 1, 1, f"non-ASCII source that libcst cannot parse ({type(err).__name__})"
            )
            return
        for value, line, column in collector.found[:MAX_FINDINGS]:
            yield source.at_line(
                self.code,
                line,
                column,
                f"non-ASCII identifier {value!r} (Python reads it as "
                f"{unicodedata.normalize('NFKC', value)!r}); use ASCII names",
            )
