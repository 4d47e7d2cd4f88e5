"""SV106: `str.format` only on literals whose fields are plain names or positions.

`"{0.__class__.__mro__}".format(x)` and `"{x.gi_frame}".format(x=gen)` perform attribute and
item lookups inside the formatting machinery, where no AST check can see them
(RestrictedPython CVE-2023-41039; Armin Ronacher, "Be Careful with Python's New-Style String
Format", 2016). So `.format(...)` is allowed only on a string literal whose every field,
including fields nested in format specs, is empty, a number or an identifier; `format_map`
is refused outright.
f-strings are fine: their fields are ordinary expressions that every other rule checks.
`%`-formatting on a string template needs a tuple or a literal on its right: with a mapping
it performs `mapping[key]` for every `%(key)s`, and for an nn.ParameterDict that item lookup
*is* getattr (`'%(__dict__)s' % pd`). `"%d" % n` is written `"%d" % (n,)`.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator

from sentinel.validator._context import ModuleContext
from sentinel.validator._strings import is_stringy
from sentinel.validator.report import Violation
from sentinel.validator.rules._base import Rule

__all__ = ["FormatRule", "unsafe_format_fields"]

_PLAIN_FIELD = re.compile(r"^(|\d+|[A-Za-z_][A-Za-z0-9_]*)$")
_FORMATTER = string.Formatter()
MAX_SPEC_NESTING = 2  # the format mini-language allows one level of nested fields


def unsafe_format_fields(template: str, depth: int = 0) -> list[str]:
    """Fields that would look up attributes or items; a template that does not parse is unsafe."""
    try:
        parts = list(_FORMATTER.parse(template))
    except (ValueError, TypeError) as err:
        return [f"<unparsable: {err}>"]
    unsafe: list[str] = []
    for _literal, field, spec, _conversion in parts:
        if field is None:
            continue
        if not _PLAIN_FIELD.match(field):
            unsafe.append(field)
        if spec and "{" in spec:
            unsafe.extend(unsafe_format_fields(spec, depth + 1) if depth < MAX_SPEC_NESTING else [spec])
    return unsafe


class FormatRule(Rule):
    code = "SV106"
    summary = "str.format only on literals with plain fields; no format_map; % only with a tuple"

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for node in ctx.nodes(ast.BinOp):
            assert isinstance(node, ast.BinOp)
            template = isinstance(node.op, ast.Mod) and is_stringy(node.left)
            if template and not isinstance(node.right, (ast.Tuple, ast.Constant)):
                yield ctx.at(
                    self.code,
                    node.right,
                    "%-formatting takes a tuple or a literal on the right (a mapping's item lookup"
                    " can be getattr); write (value,) or use an f-string",
                )
        for node in ctx.nodes(ast.Attribute):
            assert isinstance(node, ast.Attribute)
            if node.attr == "format_map":
                yield ctx.at(
                    self.code, node, "format_map looks up fields in an arbitrary mapping; use an f-string"
                )
            elif node.attr == "format":
                receiver = node.value
                if not (isinstance(receiver, ast.Constant) and isinstance(receiver.value, str)):
                    yield ctx.at(
                        self.code, node, ".format is allowed only on a string literal; use an f-string"
                    )
                    continue
                bad = unsafe_format_fields(receiver.value)
                if bad:
                    yield ctx.at(
                        self.code,
                        node,
                        f"format field(s) {', '.join(map(repr, bad))} look up attributes or items",
                    )
