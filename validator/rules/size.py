"""SV002: size and nesting limits, checked before anything walks the tree.

Generated models are a few hundred lines. Huge files slow the gate and bury code from the
human reviewer; deep nesting is how recursive parsers and walkers are crashed. Exceeding a
limit is fatal: no later rule runs on input it was not built to handle.
"""

from __future__ import annotations

from collections.abc import Iterator

from sentinel.validator._context import ModuleContext
from sentinel.validator._source import MAX_BYTES, MAX_LINE_CHARS, MAX_LINES, SourceText
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["SizeRule", "oversize_violation"]

MAX_LONG_LINE_FINDINGS = 5  # one long line is enough to reject; a few help the author


def oversize_violation(code: str, size: int) -> Violation:
    """For callers that refuse to read past MAX_BYTES (validate_path)."""
    return Violation(code, 1, 1, f"file is larger than {MAX_BYTES} bytes ({size}+ bytes)", "")


class SizeRule(Rule):
    code = "SV002"
    summary = (
        f"at most {MAX_BYTES} bytes, {MAX_LINES} lines, {MAX_LINE_CHARS} chars per line, bounded nesting"
    )
    fatal = True
    needs_tree = False

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        source: SourceText = ctx.source
        size = len(source.encoded) if source.encoded is not None else len(source.text)
        if size > MAX_BYTES:
            yield Violation(self.code, 1, 1, f"source is {size} bytes; the limit is {MAX_BYTES}", "")
        if len(source.lines) > MAX_LINES:
            yield source.at_line(
                self.code, MAX_LINES + 1, 1, f"source has {len(source.lines)} lines; the limit is {MAX_LINES}"
            )
        long_lines = [i for i, line in enumerate(source.lines, 1) if len(line) > MAX_LINE_CHARS]
        for lineno in long_lines[:MAX_LONG_LINE_FINDINGS]:
            yield source.at_line(
                self.code, lineno, MAX_LINE_CHARS + 1, f"line is longer than {MAX_LINE_CHARS} characters"
            )
        for node, what in ctx.parsed.too_deep:
            yield source.at(self.code, node, f"{what}; flatten the code")
