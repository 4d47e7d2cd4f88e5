"""SV101 (import allowlist) and SV102 (module API chains, module values, read-only imports)."""

from __future__ import annotations

import pytest
from validator_testkit import HEADER, check, codes, hits, model_source


@pytest.mark.parametrize(
    "imports",
    [
        "import torch.nn.functional as F",
        "from torch.nn import functional as F",
        "from torch.nn import init",
        "import torch.nn.init as init",
        "from einops import rearrange, repeat",
        "from einops.layers.torch import Rearrange",
        "import numpy as np",
        "from typing import Optional, Tuple",
        "from __future__ import annotations",
        "from math import sqrt, pi",
        "import torch.linalg",
        "from collections.abc import Sequence",
        "import collections.abc",
    ],
)
def test_allowed_imports(imports: str) -> None:
    source = (
        model_source(imports=imports + "\n" + HEADER)
        if "__future__" not in imports
        else model_source(imports=imports + "\n\n" + HEADER)
    )
    assert check(source).accepted, check(source).violations


@pytest.mark.parametrize(
    "imports",
    [
        "import os",
        "import sys",
        "import torch.hub",
        "import torch.utils.data",
        "from torch.utils import data",
        "import importlib",
        "import copy",
        "import collections",
        "from collections import OrderedDict",
        "import einops.layers",
        "import functools",
        "from pathlib import Path",
        "from __future__ import barry_as_FLUFL",
    ],
)
def test_refused_imports(imports: str) -> None:
    assert "SV101" in codes(model_source(imports=HEADER + imports + "\n"))


def test_relative_star_and_nested_imports() -> None:
    assert "SV101" in codes(model_source(imports=HEADER + "from . import sibling\n"))
    star = hits(model_source(imports=HEADER + "from torch import *\n"), "SV101")
    assert "star import" in star[0].message
    nested = hits(model_source(forward="import math as m\nreturn x"), "SV101")
    assert nested[0].message == "imports are allowed only at module top level"


@pytest.mark.parametrize(
    "forward",
    [
        "return torch.load('w.pt')",
        "return torch.hub.load('a', 'b')",
        "return torch.jit.script(self)",
        "return torch.utils.checkpoint.checkpoint(self.fc, x)",
        "return torch._C._get_tracing_state()",
        "return torch.os.getcwd()",
        "return torch.nn.functional.torch.load('x')",
        "return torch.nn.modules.linear.Linear(1, 1)",
        "return torch.from_file('/etc/passwd', size=4)",
        "return torch.compile(self.fc)(x)",
    ],
)
def test_refused_api_chains(forward: str) -> None:
    found = hits(model_source(forward=forward), "SV102")
    assert found, forward


def test_aliases_do_not_hide_the_chain() -> None:
    source = model_source(
        imports="import math\n\nimport torch as t\nfrom torch import nn\n",
        forward="return t.hub.load('a', 'b')",
    )
    (hit,) = hits(source, "SV102")
    assert "torch.hub" in hit.message and hit.snippet.startswith("t.hub.load")


def test_from_import_of_a_refused_member() -> None:
    for name in ("hub", "load", "save", "jit", "os", "_C"):
        assert "SV102" in codes(model_source(imports=HEADER + f"from torch import {name}\n")), name


@pytest.mark.parametrize(
    "piece",
    [
        {"top": "T = torch"},
        {"top": "N = torch.nn"},
        {"forward": "mods = [torch, nn]\nreturn x"},
        {"forward": "return self.fc(x, torch)"},
        {"signature": "self, input_shape, output_dim, lib=torch"},
    ],
)
def test_modules_are_never_values(piece: dict[str, str]) -> None:
    assert "SV102" in codes(model_source(**piece))


def test_imported_objects_are_read_only() -> None:
    assert "SV102" in codes(model_source(init="torch.isfinite = torch.ones_like"))
    assert "SV102" in codes(model_source(init="nn.Linear.forward = nn.Identity.forward"))


@pytest.mark.parametrize(
    "forward",
    [
        "return torch.nn.functional.relu(self.fc(x.flatten(1)))",
        "return torch.linalg.vector_norm(x, dim=-1, keepdim=True) * math.pi",
        "return torch.fft.rfft(x).abs().sum(-1, keepdim=True)",
        "return torch.special.expit(x.flatten(1)[:, :1])",
        "return self.fc(x.flatten(1)).to(torch.float32)",
        "y = torch.zeros(2, dtype=torch.float64)\nreturn self.fc(x.flatten(1))",
        "nn.init.zeros_(self.fc.bias)\nreturn self.fc(x.flatten(1))",
    ],
)
def test_allowed_api_chains(forward: str) -> None:
    assert check(model_source(forward=forward)).accepted, check(model_source(forward=forward)).violations


def test_a_parameter_named_like_a_module_is_a_rebinding() -> None:
    source = model_source(forward="return x").replace("def forward(self, x):", "def forward(self, torch):")
    assert "SV103" in codes(source)


def test_collections_beyond_abc_is_refused() -> None:
    source = model_source(imports=HEADER + "import collections.abc\n", top="D = collections.OrderedDict")
    assert "SV102" in codes(source)


def test_uses_of_a_refused_import_are_reported_too() -> None:
    found = hits(model_source(imports=HEADER + "import os\n", forward="os.system('id')\nreturn x"), "SV102")
    assert found and "refused import" in found[0].message
