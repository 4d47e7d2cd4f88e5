"""Estimate the size of constant arithmetic without evaluating it.

`10 ** 10 ** 9` is three small literals, and evaluating it hangs the importer for hours;
`'a' * 10**12` and `[0] * 10**9` exhaust memory. The estimator follows constant operands
bottom-up and keeps exact values only while they are small, so its own cost is bounded
whatever the source says. A result it cannot bound (a name, a call) is unknown and is not
judged here: such values are not constants, and the container's limits bound them.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["MAX_DIGITS", "MAX_ELEMENTS", "Size", "estimate", "integer_function"]

MAX_DIGITS = 1_000_000  # decimal digits of an integer constant
MAX_ELEMENTS = 1_000_000  # characters or items of a constant sequence
MAX_BITS = MAX_DIGITS * math.log2(10)
_EXACT_BITS = 4096  # exact values are kept (and computed) only below this size


@dataclass(frozen=True, slots=True)
class Size:
    """`kind` is int, float or seq; `bits`/`length` bound the magnitude; `exact` when small."""

    kind: str
    bits: float = 0.0
    length: float = 0.0
    exact: int | None = None

    @property
    def too_big(self) -> bool:
        return self.bits > MAX_BITS or self.length > MAX_ELEMENTS


def _int(value: int) -> Size:
    return Size("int", bits=float(value.bit_length()), exact=value)


def _big(bits: float) -> Size:
    return Size("int", bits=bits)


# What a call computes, for the calls the estimator follows: the rule resolves names
# (`pow` must be the builtin, `factorial` must be `math.factorial`) and hands this in.
CallKind = Callable[[ast.Call], str | None]


def estimate(
    node: ast.expr, memo: dict[ast.AST, Size | None], kind_of: CallKind | None = None
) -> Size | None:
    """The size of `node` if it is constant arithmetic, else None (memoised per node).

    `kind_of(call)` names the call ("pow", "factorial", "comb", "perm") or returns None; those
    are sized like the operators they are (`pow(10, 10**9)` is `10 ** 10 ** 9`).
    """
    if node in memo:
        return memo[node]
    result = _estimate(node, memo, kind_of)
    memo[node] = result
    return result


def integer_function(kind: str, args: list[Size | None]) -> Size | None:
    """Sizes of pow(a, b) and of math.factorial/comb/perm(n, ...), bounded without computing."""
    if kind == "pow":
        if len(args) != 2 or args[0] is None or args[1] is None:
            return None  # three-argument pow is modular: bounded by its modulus
        return _binop(ast.Pow(), args[0], args[1])
    first = args[0] if args else None
    if first is None or first.kind != "int":
        return None
    n = first.exact
    if n is None:
        return _big(math.inf)
    if n < 2:
        return _int(1)
    # factorial(n) has about n*log2(n) bits; comb and perm are at most that large
    return _big(n * math.log2(n))


def _estimate(node: ast.expr, memo: dict[ast.AST, Size | None], kind_of: CallKind | None) -> Size | None:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, (bool, int)):
            return _int(int(value))
        if isinstance(value, (float, complex)):
            return Size("float")
        if isinstance(value, (str, bytes)):
            return Size("seq", length=float(len(value)))
        return None
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        if any(isinstance(e, ast.Starred) for e in node.elts):
            return None
        return Size("seq", length=float(len(node.elts)))
    if isinstance(node, ast.UnaryOp):
        inner = estimate(node.operand, memo, kind_of)
        if inner is None or inner.kind != "int":
            return inner if isinstance(node.op, (ast.UAdd, ast.USub)) else None
        if isinstance(node.op, ast.Not):
            return _int(0)
        if inner.exact is not None:
            return _int(
                -inner.exact
                if isinstance(node.op, ast.USub)
                else ~inner.exact
                if isinstance(node.op, ast.Invert)
                else inner.exact
            )
        return inner
    if isinstance(node, ast.BinOp):
        left, right = estimate(node.left, memo, kind_of), estimate(node.right, memo, kind_of)
        if left is None or right is None:
            return None
        return _binop(node.op, left, right)
    if isinstance(node, ast.Call) and kind_of is not None and not node.keywords:
        kind = kind_of(node)
        if kind is not None and not any(isinstance(a, ast.Starred) for a in node.args):
            return integer_function(kind, [estimate(a, memo, kind_of) for a in node.args])
    return None


def _binop(op: ast.operator, left: Size, right: Size) -> Size | None:
    if left.kind == "seq" or right.kind == "seq":
        return _seq_op(op, left, right)
    if left.kind == "float" or right.kind == "float":
        return Size("float")
    bits = max(left.bits, right.bits)
    small = left.exact is not None and right.exact is not None
    if isinstance(op, (ast.Add, ast.Sub, ast.BitOr, ast.BitXor, ast.BitAnd)):
        return _exact(op, left, right) if small else _big(bits + 1)
    if isinstance(op, (ast.FloorDiv, ast.Mod, ast.RShift, ast.Div)):
        if isinstance(op, ast.Div):
            return Size("float")
        return _exact(op, left, right) if small else _big(bits)
    if isinstance(op, ast.Mult):
        total = left.bits + right.bits
        return _exact(op, left, right) if small and total <= _EXACT_BITS else _big(total)
    if isinstance(op, ast.Pow):
        return _power(left, right)
    if isinstance(op, ast.LShift):
        if right.exact is None:
            return _big(math.inf) if left.exact != 0 else _int(0)
        total = left.bits + max(right.exact, 0)
        return _exact(op, left, right) if left.exact is not None and total <= _EXACT_BITS else _big(total)
    return None


def _power(base: Size, exponent: Size) -> Size | None:
    if exponent.exact is not None and exponent.exact < 0:
        return Size("float")
    if base.exact is not None and base.exact in (-1, 0, 1):
        return _int(1)
    if exponent.exact is None:
        return _big(math.inf)
    total = max(base.bits, 1.0) * exponent.exact
    if base.exact is not None and total <= _EXACT_BITS:
        return _int(base.exact**exponent.exact)
    return _big(total)


def _seq_op(op: ast.operator, left: Size, right: Size) -> Size | None:
    if isinstance(op, ast.Add) and left.kind == right.kind == "seq":
        return Size("seq", length=left.length + right.length)
    if isinstance(op, ast.Mult):
        seq, count = (left, right) if left.kind == "seq" else (right, left)
        if count.kind != "int":
            return None
        times = count.exact if count.exact is not None else math.inf
        return Size("seq", length=seq.length * max(times, 0))
    return None  # `%` formatting and the like: not a size the estimator follows


def _exact(op: ast.operator, left: Size, right: Size) -> Size | None:
    a, b = left.exact, right.exact
    assert a is not None and b is not None
    try:
        if isinstance(op, ast.Add):
            return _int(a + b)
        if isinstance(op, ast.Sub):
            return _int(a - b)
        if isinstance(op, ast.Mult):
            return _int(a * b)
        if isinstance(op, ast.FloorDiv):
            return _int(a // b)
        if isinstance(op, ast.Mod):
            return _int(a % b)
        if isinstance(op, ast.RShift):
            return _int(a >> b)
        if isinstance(op, ast.LShift):
            return _int(a << b)
        if isinstance(op, ast.BitOr):
            return _int(a | b)
        if isinstance(op, ast.BitXor):
            return _int(a ^ b)
        if isinstance(op, ast.BitAnd):
            return _int(a & b)
    except (ZeroDivisionError, ValueError):
        return None  # raises at run time: an error, not a hang
    return None
