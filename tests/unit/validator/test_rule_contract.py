"""SV111: the registry's constructor contract and entry-point discovery."""

from __future__ import annotations

import pytest
from validator_testkit import HEADER, check, hits, model_source

BASE = HEADER + "\n\n"


@pytest.mark.parametrize(
    "signature",
    [
        "self, input_shape, output_dim",
        "self, input_shape, output_dim, **params",
        "self, input_shape, output_dim, /, hidden=8",
        "self, input_shape, output_dim, hidden=8, *, depth=2, **extra",
        "self, input_shape=(1,), output_dim=1, hidden=8",
    ],
)
def test_contract_signatures(signature: str) -> None:
    report = check(model_source(signature=signature))
    assert report.accepted and report.entry_points == ("Model",), report.violations


@pytest.mark.parametrize(
    ("signature", "phrase"),
    [
        ("self, shape, output_dim", "must start (self, input_shape, output_dim)"),
        ("self, input_shape, output_dim, hidden", "'hidden' needs a default"),
        ("self, input_shape, output_dim, *, depth", "'depth' needs a default"),
        ("self, input_shape, output_dim, *layers", "*args"),
    ],
)
def test_contract_violations(signature: str, phrase: str) -> None:
    source = model_source(signature=signature).replace("math.prod(input_shape)", "4")
    found = hits(source, "SV111")
    assert any(phrase in h.message for h in found), found


def test_missing_forward_or_init() -> None:
    init = "    def __init__(self, input_shape, output_dim):\n        super().__init__()\n"
    no_forward = BASE + "class M(nn.Module):\n" + init
    assert any("forward" in h.message for h in hits(no_forward, "SV111"))
    no_init = BASE + "class M(nn.Module):\n    def forward(self, x):\n        return x\n"
    assert any("__init__" in h.message for h in hits(no_init, "SV111"))
    bad_forward = BASE + "class M(nn.Module):\n" + init + "\n    def forward(self):\n        return 1\n"
    assert any("input tensor" in h.message for h in hits(bad_forward, "SV111"))


def test_no_module_at_all() -> None:
    (hit,) = hits(BASE + "X = 1\n", "SV111")
    assert hit.line == 1 and "no nn.Module subclass" in hit.message


def test_inherited_init_and_forward_from_local_bases() -> None:
    source = BASE + (
        "class Base(nn.Module):\n"
        "    def __init__(self, input_shape, output_dim, width=4):\n"
        "        super().__init__()\n        self.fc = nn.Linear(width, output_dim)\n\n"
        "    def forward(self, x):\n        return self.fc(x)\n\n\n"
        "class Child(Base):\n    pass\n"
    )
    assert check(source).entry_points == ("Base", "Child")


def test_pinned_class_name() -> None:
    source = model_source(top="class Helper(nn.Module):\n    def forward(self, x):\n        return x")
    assert check(source, class_name="Model").accepted
    assert any("Helper" in v.message for v in check(source, class_name="Helper").violations)
    assert any("not defined" in v.message for v in check(source, class_name="Missing").violations)
    assert check(source).entry_points == ("Model",)
