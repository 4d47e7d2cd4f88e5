"""Name resolution follows CPython's scoping, including the corners escapes live in."""

from __future__ import annotations

import ast
import textwrap

from sentinel.validator._scopes import analyse


def _kinds(code: str) -> dict[tuple[int, str], str]:
    tree = ast.parse(textwrap.dedent(code))
    analysis = analyse(tree)
    return {
        (node.lineno, node.id): analysis.resolve(node).kind
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }


def test_locals_globals_builtins_and_imports() -> None:
    kinds = _kinds(
        """
        import torch as t
        X = 1
        def f(a):
            b = a + X
            return len(b), t, nope
        """
    )
    assert kinds[(5, "a")] == "local" and kinds[(5, "X")] == "global"
    assert (
        kinds[(6, "len")] == "builtin" and kinds[(6, "t")] == "import" and kinds[(6, "nope")] == "undefined"
    )


def test_defaults_decorators_and_bases_use_the_enclosing_scope() -> None:
    kinds = _kinds(
        """
        def outer(eval):
            @eval
            def f(x=eval):
                return x
            class C(eval):
                pass
        """
    )
    # all three run in outer's scope, where `eval` is outer's parameter, not the builtin
    assert kinds[(3, "eval")] == kinds[(4, "eval")] == kinds[(6, "eval")] == "local"
    assert _kinds("def f(x=eval):\n    eval = 1\n    return eval\n")[(1, "eval")] == "builtin"


def test_class_bodies_are_skipped_by_nested_functions_and_comprehensions() -> None:
    kinds = _kinds(
        """
        class C:
            size = 2
            twice = size * 2
            def method(self):
                return size
            values = [size for _ in range(2)]
            first = [n for n in range(size)]
        """
    )
    assert kinds[(4, "size")] == "class"
    assert kinds[(6, "size")] == "undefined"
    assert kinds[(7, "size")] == "undefined"
    assert kinds[(8, "size")] == "class"  # the first iterable runs in the class body


def test_comprehension_targets_and_first_iterable() -> None:
    tree = ast.parse("r = [eval for eval in (eval,)]\n")
    analysis = analyse(tree)
    comp = tree.body[0].value
    assert isinstance(comp, ast.ListComp)
    assert analysis.resolve(comp.elt).kind == "local"  # type: ignore[arg-type]
    assert analysis.resolve(comp.generators[0].iter.elts[0]).kind == "builtin"  # type: ignore[attr-defined]


def test_walrus_binds_in_the_enclosing_function() -> None:
    kinds = _kinds("def f():\n    [y := 1 for _ in ()]\n    return y\n")
    assert kinds[(3, "y")] == "local"
