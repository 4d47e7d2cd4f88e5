"""SV104: dunder access and definitions."""

from __future__ import annotations

import pytest
from validator_testkit import check, codes, hits, model_source


@pytest.mark.parametrize(
    "forward",
    [
        "c = x.__class__",
        "c = ().__class__.__mro__[1].__subclasses__()",
        "g = self.forward.__globals__",
        "d = self.__dict__",
        "b = __builtins__",
        "n = __name__",
        "s = super().__call__(x)",
        "s = nn.Module.__init__(self)",
        "k = dict(__class__=1)",
        "k = self.get_submodule('__class__')",
    ],
)
def test_refused_dunder_access(forward: str) -> None:
    assert "SV104" in codes(model_source(forward=forward + "\nreturn x"))


def test_super_init_and_allowed_definitions() -> None:
    methods = "def __repr__(self):\n    return f'Model({self.fc})' + super().__repr__()"
    assert check(model_source(methods=methods)).accepted
    two_arg = model_source().replace("super().__init__()", "super(Model, self).__init__()")
    assert check(two_arg).accepted


@pytest.mark.parametrize(
    "name",
    [
        "__getattr__",
        "__del__",
        "__init_subclass__",
        "__set_name__",
        "__class_getitem__",
        "__reduce__",
        "__call__",
    ],
)
def test_refused_dunder_methods(name: str) -> None:
    source = model_source(methods=f"def {name}(self, *args):\n    return None")
    (hit,) = hits(source, "SV104")
    assert name in hit.message and "implicitly" in hit.message


def test_module_level_dunder_function_is_refused() -> None:
    assert "SV104" in codes(model_source(top="def __getattr__(name):\n    return name"))


def test_dunder_names_bound_or_imported() -> None:
    assert "SV104" in codes(model_source(top="__all__ = ['Model']"))
    assert "SV104" in codes(
        model_source(imports="import math\n\nimport torch as __builtins__\nfrom torch import nn\n")
    )
