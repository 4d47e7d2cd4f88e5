"""Which expressions certainly evaluate to a string built at run time (no typing needed).

Used by the container-key rule (computed keys) and the formatting rule (`%` templates).
Conservative in one direction only: a result of True means "a str", False means "could be
anything"; the rules that need certainty about *unknown* values close those paths otherwise.
"""

from __future__ import annotations

import ast
import re

__all__ = ["IDENTIFIER_KEY", "STR_METHODS", "is_stringy", "letter_led", "literal_key"]

# Keys a container may be indexed with by name: identifier-like and not private or dunder.
IDENTIFIER_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
STR_METHODS = frozenset(
    {
        "join", "format", "upper", "lower", "replace", "strip", "lstrip", "rstrip", "title",
        "capitalize", "casefold", "swapcase", "zfill", "center", "ljust", "rjust", "removeprefix",
        "removesuffix", "expandtabs", "translate",
    }
)  # fmt: skip
_STR_BUILTINS = frozenset({"str", "repr", "format", "chr", "ascii"})


def is_stringy(node: ast.expr) -> bool:
    """True when `node` is a string literal, an f-string, or string arithmetic/methods on one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Mod):
            return is_stringy(node.left)
        return is_stringy(node.left) or is_stringy(node.right)
    if isinstance(node, ast.IfExp):
        return is_stringy(node.body) or is_stringy(node.orelse)
    if isinstance(node, ast.BoolOp):
        return any(is_stringy(v) for v in node.values)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in _STR_BUILTINS
        if isinstance(func, ast.Attribute) and func.attr in STR_METHODS:
            return True
    if isinstance(node, ast.Subscript):
        return is_stringy(node.value)  # "abc"[1:] is a str
    return False


def literal_key(node: ast.expr) -> str | None:
    """The key when `node` is an identifier-like string literal (see IDENTIFIER_KEY), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and IDENTIFIER_KEY.match(node.value):
        return node.value
    return None


def letter_led(node: ast.expr) -> bool:
    """A built string whose first character is a literal letter (`f"block{i}"`, `"k" + str(i)`).

    Such a string can never be a private or dunder name, whatever the rest evaluates to.
    """
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value[:1].isalpha()
    if isinstance(node, ast.JoinedStr):
        return bool(node.values) and letter_led(node.values[0])
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return letter_led(node.left)
    return False
