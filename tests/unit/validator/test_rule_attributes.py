"""SV105: introspection and I/O attributes, private state, stores only on self."""

from __future__ import annotations

import pytest
from validator_testkit import check, codes, model_source

from sentinel.validator.rules.attributes import INTROSPECTION_ATTRIBUTES


def test_introspection_list_is_derived_from_the_interpreter() -> None:
    expected = {"gi_frame", "gi_code", "f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "tb_next",
                "co_code", "cr_frame", "ag_frame", "cell_contents", "mro"}  # fmt: skip
    assert expected <= INTROSPECTION_ATTRIBUTES


@pytest.mark.parametrize(
    "forward",
    [
        "f = (i for i in range(2)).gi_frame",
        "f = y.f_back.f_globals",
        "s = x.untyped_storage()",
        "x.numpy().tofile('/tmp/x')",
        "p = x.numpy().ctypes",
        "b = x.numpy().dumps()",
        "c = nn.Linear.mro()",
        "t = torch.Tensor.from_file('x')",
    ],
)
def test_refused_attributes(forward: str) -> None:
    assert "SV105" in codes(model_source(forward=forward + "\nreturn x"))


def test_private_attributes() -> None:
    ok = model_source(
        init="self._scale = 2.0",
        forward="return self._head(x) * self._scale",
        methods="def _head(self, x):\n    return self.fc(x.flatten(1))",
    )
    assert check(ok).accepted, check(ok).violations
    assert "SV105" in codes(model_source(forward="h = self._forward_hooks\nreturn x"))
    assert "SV105" in codes(model_source(init="self._modules = {}"))
    assert "SV105" in codes(model_source(forward="return self.fc._parameters"))
    assert "SV105" in codes(model_source(forward="return self._undefined"))


def test_attribute_stores_only_on_self() -> None:
    init = "self.fc.weight.requires_grad_(True)\nself.extra = nn.ModuleList([nn.Linear(2, 2)])\n"
    ok = model_source(init=init + "self.scale: float = 1.0\nself.count = 0\nself.count += 1")
    assert check(ok).accepted, check(ok).violations
    assert "SV105" in codes(model_source(forward="x.weight = None\nreturn x"))
    assert "SV105" in codes(model_source(init="lin = nn.Linear\nlin.forward = None"))


@pytest.mark.parametrize(
    "init",
    [
        "self.kind = torch.Tensor\nself.kind.abs = None",  # the chain starts at self
        "self.fc.weight.requires_grad = False",  # issue 12: one level only
        "self.extra = nn.ModuleList([nn.Linear(2, 2)])\nself.extra[0].bias = None",
        "self.a = nn.Linear(2, 2)\nself.a.b += 1",
        "self.a = nn.Linear(2, 2)\nself.a.b: int = 1",
        "self.a = nn.Linear(2, 2)\nself.a.b, self.c = 1, 2",
        "self.a = nn.Linear(2, 2)\nfor self.a.b in range(2):\n    pass",
        "self.a = nn.Linear(2, 2)\nwith torch.no_grad() as self.a.b:\n    pass",
    ],
)
def test_stores_are_one_level_on_self(init: str) -> None:
    assert "SV105" in codes(model_source(init=init))


def test_nn_module_internals_cannot_be_overridden() -> None:
    assert "SV105" in codes(model_source(methods="def _call_impl(self, *args):\n    return None"))
    assert "SV105" in codes(
        model_source().replace("class Model(nn.Module):\n", "class Model(nn.Module):\n    _version = 9\n\n")
    )


def test_self_is_only_the_first_method_parameter() -> None:
    assert "SV105" in codes(model_source(forward="self = x\nreturn x"))
    assert "SV105" in codes(model_source(forward="f = lambda self: self\nreturn x"))
    assert "SV105" in codes(model_source(top="def helper(self):\n    return self"))


def test_torch_private_names_cannot_be_whitelisted_by_defining_them() -> None:
    methods = (
        "def _typed_storage(self):\n    return None\n\ndef peek(self):\n    return self._typed_storage()"
    )
    source = model_source(methods=methods, forward="s = Model.peek(x)\nreturn x")
    assert "SV105" in codes(source)
