"""SV108: module and class bodies only declare; defaults constant; annotations are types."""

from __future__ import annotations

import pytest
from validator_testkit import check, codes, hits, model_source


@pytest.mark.parametrize(
    "top",
    ["BUF = torch.zeros(4)", "act = lambda t: t", "if True:\n    X = 1", "for i in range(2):\n    pass",
     "X = 1\nX += 1", "LAYERS = [nn.Linear(2, 2)]", "NAMES = [n for n in 'ab']", "nn.Linear.flag = True",
     "X = {'a': 1}\nX['b'] = 2", "print('loaded')"],
)  # fmt: skip
def test_refused_module_level_statements(top: str) -> None:
    assert "SV108" in codes(model_source(top=top))


def test_main_guard_has_a_specific_hint() -> None:
    source = model_source() + "\n\nif __name__ == '__main__':\n    Model((4,), 2)\n"
    assert any("__main__" in h.message for h in hits(source, "SV108"))


def test_constant_module_level() -> None:
    top = (
        '"""Docstring."""\n'
        "WIDTHS = (64, 32)\nCFG = {'a': [1, 2.5, None], 'b': -3}\nEPS: float = 1e-5\n"
        "SCALE = 1.0 / math.sqrt(2.0)\nDEPTH = len(WIDTHS) + max(1, 2)\n"
        "HALF = WIDTHS[0] // 2 if WIDTHS else 0\n"
        "ACT = nn.GELU\nPI2 = math.pi * 2"
    )
    assert check(model_source(top=top)).accepted, check(model_source(top=top)).violations


def test_class_bodies() -> None:
    assert "SV108" in codes(
        model_source().replace(
            "class Model(nn.Module):\n", "class Model(nn.Module):\n    cache = torch.randn(3)\n\n"
        )
    )
    ok = model_source().replace(
        "class Model(nn.Module):\n",
        'class Model(nn.Module):\n    """Doc."""\n\n    expansion = 4\n    name: str = "m"\n\n',
    )
    assert check(ok).accepted


def test_defaults_must_be_constants() -> None:
    assert "SV108" in codes(model_source(signature="self, input_shape, output_dim, w=torch.ones(3)"))
    assert check(
        model_source(signature="self, input_shape, output_dim, act=nn.ReLU, dims=(1, 2), p: float = 0.5")
    ).accepted


@pytest.mark.parametrize(
    "annotation", ["torch.zeros(1)", "'__import__(\"os\")'", "'exec(1)'", "[t for t in ()]"]
)
def test_refused_annotations(annotation: str) -> None:
    source = model_source(forward="return x").replace(
        "def forward(self, x):", f"def forward(self, x: {annotation}):"
    )
    assert "SV108" in codes(source)


def test_type_annotations_are_fine() -> None:
    imports = "from typing import Callable, Optional\n\nimport math\n\nimport torch\nfrom torch import nn\n"
    source = model_source(imports=imports, forward="return x")
    params = "x: 'torch.Tensor', m: Optional[int] = None, f: Callable[[int], int] | None = None"
    source = source.replace("def forward(self, x):", f"def forward(self, {params}) -> torch.Tensor:")
    assert check(source).accepted, check(source).violations


def test_only_math_members_themselves_count_as_pure_calls() -> None:
    imports = "from math import sqrt\n\nimport math\n\nimport torch\nfrom torch import nn\n"
    assert check(model_source(imports=imports, top="S = sqrt(2.0)")).accepted
    assert "SV108" in codes(model_source(imports=imports, top="S = sqrt.real(2.0)"))
