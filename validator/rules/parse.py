"""SV001: the source must be exactly what the container's interpreter will read.

The validator judges text; the container imports bytes. Those agree only when the file is
UTF-8 with no other PEP 263 coding cookie (a `# coding: utf-7` line turns `+AAo-` into a
newline at import time, so code the validator saw as a comment would run) and when CPython's
own parser accepts it. A file that does not parse is rejected, never a crash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sentinel.validator._context import ModuleContext
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["ParseRule"]

# PEP 263: the cookie regex CPython's tokenizer applies to the first two lines.
_COOKIE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _is_utf8(codec: str) -> bool:
    name = codec.lower().replace("_", "-")
    return name in ("utf-8", "utf8") or name.startswith("utf-8-")


class ParseRule(Rule):
    code = "SV001"
    summary = "source is UTF-8, declares no other encoding, and parses"
    fatal = True
    needs_tree = False

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        source = ctx.source
        if source.encoded is None:
            yield source.at_line(self.code, 1, 1, "source is not encodable as UTF-8 (lone surrogates)")
            return
        for lineno in (1, 2):
            match = _COOKIE.match(source.line(lineno))
            if match and not _is_utf8(match.group(1)):
                yield source.at_line(
                    self.code,
                    lineno,
                    match.start(1) + 1,
                    f"encoding declaration {match.group(1)!r}: only UTF-8 is allowed, because the "
                    "container would decode the file differently from what was validated",
                )
        if ctx.parsed.parse_error is not None:
            yield ctx.parsed.parse_error
