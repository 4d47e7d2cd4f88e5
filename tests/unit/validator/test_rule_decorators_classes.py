"""SV109 (decorator allowlist) and SV110 (class structure)."""

from __future__ import annotations

import pytest
from validator_testkit import HEADER, check, codes, model_source


@pytest.mark.parametrize("decorator", ["staticmethod", "torch.no_grad", "torch.no_grad()"])
def test_allowed_decorators(decorator: str) -> None:
    params = "x" if decorator == "staticmethod" else "self, x"
    assert check(model_source(methods=f"@{decorator}\ndef helper({params}):\n    return x")).accepted


def test_no_grad_imported_by_name_is_still_recognised() -> None:
    source = model_source(
        imports=HEADER + "from torch import no_grad\n",
        methods="@no_grad()\ndef helper(self, x):\n    return x",
    )
    assert check(source).accepted


@pytest.mark.parametrize(
    "decorator",
    [
        "helper.setter",
        "classmethod",
        "torch.no_grad(False)",
        "staticmethod()",
        "(lambda f: f)",
        "exec",
        "torch.jit.script",
    ],
)
def test_refused_decorators(decorator: str) -> None:
    assert "SV109" in codes(model_source(methods=f"@{decorator}\ndef helper(self, x):\n    return x"))


def test_class_decorators_are_refused() -> None:
    source = model_source(top="def tag(cls):\n    return cls").replace(
        "class Model(nn.Module):", "@tag\nclass Model(nn.Module):"
    )
    assert "SV109" in codes(source)


@pytest.mark.parametrize(
    "bases", ["nn.Module", "torch.nn.Module", "nn.Sequential", "Base", "Base, nn.Module"]
)
def test_allowed_bases(bases: str) -> None:
    source = model_source(top="class Base(nn.Module):\n    pass").replace(
        "class Model(nn.Module):", f"class Model({bases}):"
    )
    assert check(source).accepted, check(source).violations


@pytest.mark.parametrize(
    "header",
    [
        "class Model(nn.Module, metaclass=type):",
        "class Model(nn.Module, flag=1):",
        "class Model(Later):",
        "class Model(nn.Parameter):",
        "class Model(*BASES):",
        "class Model(type(nn.Identity())):",
        "class Model(object):",
    ],
)
def test_refused_bases_and_keywords(header: str) -> None:
    source = model_source(top="BASES = (nn.Module,)").replace("class Model(nn.Module):", header)
    source += "\n\nclass Later(nn.Module):\n    pass\n"
    assert "SV110" in codes(source)


def test_classes_only_at_top_level() -> None:
    assert "SV110" in codes(model_source(forward="class Inner(nn.Module):\n    pass\nreturn x"))


def test_a_plain_namespace_class_is_fine() -> None:
    assert check(model_source(top='class Defaults:\n    """Constants."""\n\n    WIDTH = 8')).accepted
