"""SV103: builtins by allowlist, names resolved with CPython's scoping corners."""

from __future__ import annotations

import pytest
from validator_testkit import check, codes, hits, model_source


@pytest.mark.parametrize(
    "call",
    ["eval('1')", "exec('1')", "getattr(x, 'y')", "setattr(x, 'y', 1)", "delattr(x, 'y')", "vars(x)",
     "globals()", "locals()", "compile('1', 'f', 'eval')", "open('f')", "input()", "breakpoint()", "help(x)",
     "__import__('os')", "type(x)", "memoryview(b'')", "object()", "print(x, file=x)", "f = print",
     "hasattr(x, 'y')", "dir(x)", "id(x)", "classmethod(x)", "property(x)", "exit()", "__build_class__"],
)  # fmt: skip
def test_refused_builtins(call: str) -> None:
    assert "SV103" in codes(model_source(forward=f"y = {call}\nreturn x"))


def test_allowed_builtins() -> None:
    body = (
        "n = len(x) + abs(-1) + max(1, 2) + min(1, 2) + sum([1]) + round(1.5) + int('1') + pow(2, 2)\n"
        "pairs = list(zip(range(2), reversed([1, 2])))\n"
        "flags = all([True]) and any([False]) and bool(1) and isinstance(x, (int, float))\n"
        "seq = sorted(set(map(str, [3, 1])))\n"
        "first = next(iter(self.parameters()))\n"
        "if n < 0:\n    raise ValueError(f'bad {n!r}')\n"
        "return self.fc(x.flatten(1))"
    )
    assert check(model_source(forward=body)).accepted


def test_undefined_names_are_reported() -> None:
    (hit,) = hits(model_source(forward="return undefined_thing(x)"), "SV103")
    assert hit.message == "name 'undefined_thing' is not defined in this file"


def test_default_values_resolve_in_the_enclosing_scope() -> None:
    assert "SV103" in codes(model_source(signature="self, input_shape, output_dim, run=exec"))


def test_parameters_may_shadow_builtins_inside_functions() -> None:
    source = model_source(forward="return x").replace(
        "def forward(self, x):", "def forward(self, input, type=None):"
    )
    source = source.replace("return x", "return self.fc(input.flatten(1)) if type is None else input")
    assert check(source).accepted, check(source).violations


def test_first_comprehension_iterable_is_evaluated_outside() -> None:
    assert "SV103" in codes(model_source(forward="f = [eval for eval in (eval,)][0]\nreturn x"))
    assert check(
        model_source(forward="ys = [t * 2 for t in (x, x)]\nreturn self.fc(ys[0].flatten(1))")
    ).accepted


def test_class_body_names_are_invisible_to_methods() -> None:
    source = model_source(forward="return self.fc(x.flatten(1)) * SCALE").replace(
        "class Model(nn.Module):\n", "class Model(nn.Module):\n    SCALE = 2.0\n\n"
    )
    (hit,) = hits(source, "SV103")
    assert "'SCALE' is not defined" in hit.message


def test_shadowing_builtins_at_module_or_class_level() -> None:
    assert "SV103" in codes(model_source(top="len = 3"))
    class_level = model_source().replace(
        "class Model(nn.Module):\n", "class Model(nn.Module):\n    input = 3\n\n"
    )
    assert "SV103" in codes(class_level)


def test_rebinding_an_import_anywhere() -> None:
    assert "SV103" in codes(model_source(top="import math as m\nm = 2"))
    assert "SV103" in codes(model_source(forward="nn = 3\nreturn x"))
    same = model_source(
        imports="import math\n\nimport torch\nimport torch.nn\nfrom torch import nn\nimport torch.nn as nn\n"
    )
    assert check(same).accepted, check(same).violations
    different = model_source(imports="import math\n\nimport torch\nfrom torch import nn\nimport math as nn\n")
    assert "SV103" in codes(different)
