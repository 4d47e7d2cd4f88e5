"""Issue 12's gadget classes (SV112-SV117, SV106's `%`), each refused as a class, not an example."""

from __future__ import annotations

import pytest
from validator_testkit import HEADER, check, codes, model_source

PD = "self.pd = nn.ParameterDict({'scale': nn.Parameter(torch.ones(1))})\n"


@pytest.mark.parametrize(
    ("init", "forward", "methods"),
    [
        ("Model.helper(torch.Tensor)", "", "def helper(self):\n    return 1"),
        ("f = Model.helper", "", "def helper(self):\n    return 1"),
        ("nn.Module.set_submodule(self, 'fc', nn.Identity())", "", ""),
        ("nn.Module.train(self, False)", "", ""),
        ("torch.Tensor.abs(torch.ones(1))", "", ""),
        ("nn.Linear.forward(self.fc, torch.ones(1))", "", ""),
        ("Model.alias(torch.Tensor)", "", "def helper(self):\n    return 1\n\nalias = helper"),
        ("super(nn.Module, self.fc).train(False)", "", ""),
    ],
)
def test_methods_reached_through_classes_are_refused(init: str, forward: str, methods: str) -> None:
    source = model_source(init=init, methods=methods, **({"forward": forward} if forward else {}))
    assert "SV112" in codes(source)


def test_class_access_exceptions() -> None:
    top = "class Widths:\n    BASE = 8\n    DEEP: int = 16"
    ok = model_source(
        top=top,
        init="self.w = Widths.BASE + Widths.DEEP\nself.emb = nn.Embedding.from_pretrained(torch.ones(3, 2))",
        forward="y = super().forward if False else None\nreturn self.fc(x.flatten(1))",
    )
    assert check(ok).accepted, check(ok).violations
    old_style = model_source().replace("super().__init__()", "super(Model, self).__init__()")
    assert check(old_style).accepted


@pytest.mark.parametrize(
    "methods",
    [
        "def parameters(self, recurse=True):\n    return iter(())",
        "def named_parameters(self, *a, **k):\n    return iter(())",
        "def state_dict(self, *a, **k):\n    return {}",
        "def load_state_dict(self, *a, **k):\n    return None",
        "def train(self, mode=True):\n    return self",
        "def eval(self):\n    return self",
        "def to(self, *a, **k):\n    return self",
        "def apply(self, fn):\n    return self",
        "def zero_grad(self, set_to_none=True):\n    return None",
        "def register_buffer(self, *a, **k):\n    return None",
        "def register_forward_hook(self, *a, **k):\n    return None",
        "cuda = None",
    ],
)
def test_overriding_module_members_is_refused(methods: str) -> None:
    assert "SV113" in codes(model_source(methods=methods))


def test_override_allowlist_and_free_helpers() -> None:
    methods = (
        "def extra_repr(self):\n    return 'm'\n\n"
        "def reset_parameters(self):\n    return None\n\n"
        "def __len__(self):\n    return 1\n\n"
        "def __getitem__(self, index):\n    return self.fc\n\n"
        "def __iter__(self):\n    return iter([self.fc])\n\n"
        "def encode(self, x):\n    return x\n\n"
        "def _shortcut(self, x):\n    return x\n\n"
        "@property\ndef width(self):\n    return 3"
    )
    source = model_source(
        methods=methods, forward="return self.fc(self._shortcut(self.encode(x)).flatten(1))"
    )
    assert check(source).accepted, check(source).violations
    assert "SV113" in codes(model_source(init="self.parameters = None"))
    assert "SV113" in codes(model_source(init="self.type = 'relu'"))


@pytest.mark.parametrize(
    ("init", "forward"),
    [
        (PD + "k = 'sc' + 'ale'\nself.v = self.pd[k]", ""),
        (PD + "self.v = self.pd['__cl' + 'ass__']", ""),
        (PD + "self.v = self.pd[f'{1}']", ""),
        (PD + "self.v = self.pd[str(1)]", ""),
        (PD + "self.v = '%(scale)s' % self.pd", ""),
        (PD + "alias = self.pd", ""),
        (PD + "self.v = [self.pd]", ""),
        (PD + "self.pd.update({'a': nn.Parameter(torch.ones(1))})", ""),
        (PD, "for m in self.modules():\n    pass\nreturn self.fc(x.flatten(1))"),
        ("self.layers = nn.ModuleList([nn.ParameterDict()])", ""),
        ("pd = nn.ParameterDict()", ""),
        ("self.pd = nn.ParameterDict(dict(zip(['a'], [nn.Parameter(torch.ones(1))])))", ""),
        ("self.pd = nn.ParameterDict({str(1): nn.Parameter(torch.ones(1))})", ""),
        ("self.blocks = nn.ModuleDict({'a': nn.Identity()})\nself.v = self.blocks['_modules']", ""),
        ("d = {}\nd['_' + 'b'] = 1", ""),
        ("d = {}\nd[str(3)] = 1", ""),
    ],
)
def test_container_keys(init: str, forward: str) -> None:
    source = model_source(init=init, **({"forward": forward} if forward else {}))
    assert "SV114" in codes(source) or "SV106" in codes(source)


def test_container_keys_allowed_forms() -> None:
    init = (
        PD + "self.blocks = nn.ModuleDict({'a': nn.Identity(), 'b': nn.Identity()})\n"
        "self.names = ['a', 'b']\n"
        "for k in (3, 5):\n    self.blocks[f'k{k}'] = nn.Identity()\n"
    )
    forward = (
        "s = self.pd['scale'] * len(self.pd)\n"
        "for key in self.pd:\n    s = s + 0\n"
        "for key, p in self.pd.items():\n    s = s + p.sum()\n"
        "if 'scale' in self.pd:\n    s = s + 1\n"
        "for name in self.names:\n    x = self.blocks[name](x)\n"
        "return self.fc(x.flatten(1)) * s"
    )
    source = model_source(init=init, forward=forward)
    assert check(source).accepted, check(source).violations


@pytest.mark.parametrize(
    "expr",
    ["'%(a)s' % d", "'%s' % x", "f'{x}' % d", "'%d' % self.fc"],
)
def test_percent_format_needs_a_tuple(expr: str) -> None:
    assert "SV106" in codes(model_source(forward=f"d = {{'a': 1}}\ns = {expr}\nreturn self.fc(x.flatten(1))"))


def test_percent_format_with_tuple_and_numeric_modulo() -> None:
    forward = "s = '%d-%s' % (3, 'a')\nn = 7 % 3\ny = x % 2\nreturn self.fc(y.flatten(1))"
    assert check(model_source(forward=forward)).accepted


@pytest.mark.parametrize(
    "expr",
    [
        "iter(int, 1)",
        "iter(x.sum, 0)",
        "10 ** 10 ** 9",
        "'a' * 10 ** 12",
        "[0] * 10 ** 9",
        "1 << 10 ** 10",
        "(10 ** 6) ** (10 ** 6)",
        "-(2 ** 4_000_000)",
        "(('x',) * 1000) * 10 ** 6",
        "pow(10, 10 ** 9)",
        "pow(10, pow(10, 9))",
        "math.factorial(10 ** 8)",
        "math.comb(10 ** 9, 10 ** 8)",
        "2 ** math.factorial(12)",
    ],
)
def test_unbounded_constructs_are_refused(expr: str) -> None:
    assert "SV115" in codes(model_source(forward=f"y = {expr}\nreturn self.fc(x.flatten(1))"))


@pytest.mark.parametrize(
    "expr",
    [
        "2 ** 64",
        "10 ** 6",
        "'-' * 80",
        "[0.0] * 1024",
        "1 << 62",
        "2 ** -3",
        "(1 + 2) * 3 ** 0.5",
        "iter([1])",
        "pow(2, 10)",
        "pow(3, 10 ** 9, 7)",
        "math.factorial(20)",
        "math.comb(64, 3)",
    ],
)
def test_small_constants_are_fine(expr: str) -> None:
    assert check(model_source(forward=f"y = {expr}\nreturn self.fc(x.flatten(1))")).accepted


@pytest.mark.parametrize(
    "init",
    [
        "self.fc.register_forward_hook(None)",
        "self.fc.weight.register_hook(None)",
        "p = self.fc.weight.data_ptr()",
        "s = self.fc.weight.untyped_storage()",
        "self.fc.weight.set_(torch.ones(1))",
        "self.fc.weight.share_memory_()",
        "m = self.get_submodule('fc')",
        "g = self.fc.weight.grad",
        "name = 'a' + 'b'\nself.register_buffer(name, torch.ones(1))",
        "self.add_module(self.fc, nn.Identity())",
    ],
)
def test_audited_members_are_refused_by_name(init: str) -> None:
    assert "SV116" in codes(model_source(init=init)) or "SV105" in codes(model_source(init=init))


def test_registration_with_static_names() -> None:
    init = (
        "self.register_buffer('pe', torch.zeros(4), persistent=False)\n"
        "for i in range(2):\n    self.add_module(f'block{i}', nn.Identity())\n"
        "self.register_parameter('gain', nn.Parameter(torch.ones(1)))"
    )
    assert check(model_source(init=init)).accepted


@pytest.mark.parametrize(
    "dunder",
    ["__array_interface__", "__array_struct__", "__array__", "__dlpack__", "__setstate__", "__reduce_ex__"],
)
def test_array_and_pickle_dunders_are_refused(dunder: str) -> None:
    assert "SV104" in codes(model_source(forward=f"y = x.{dunder}\nreturn self.fc(x.flatten(1))"))
    assert "SV104" in codes(model_source(methods=f"def {dunder}(self):\n    return None"))


NAMED = "from typing import NamedTuple, Optional\n"
DATA = "from dataclasses import dataclass\n"


def test_config_classes_accepted() -> None:
    top = (
        "class Cfg(NamedTuple):\n    width: int = 32\n    act: str = 'gelu'\n"
        "    drop: Optional[float] = None\n\n\n"
        '@dataclass(frozen=True)\nclass Opt:\n    """Options."""\n    depth: int = 2\n'
        "    scale: float = -1.5\n    kernel: tuple = (3, 5)"
    )
    source = model_source(
        imports=HEADER + DATA + NAMED, top=top, init="self.cfg = Cfg(width=hidden)\nself.opt = Opt()"
    )
    assert check(source).accepted, check(source).violations


@pytest.mark.parametrize(
    ("imports", "top"),
    [
        (DATA, "@dataclass\nclass Opt:\n    depth: int = 2"),
        (DATA, "@dataclass(frozen=False)\nclass Opt:\n    depth: int = 2"),
        (DATA, "@dataclass(frozen=True)\nclass Opt:\n    depth: int = len('ab')"),
        (
            DATA,
            "@dataclass(frozen=True)\nclass Opt:\n    depth: int = 2\n\n"
            "    def grow(self):\n        return 3",
        ),
        (DATA, "@dataclass(frozen=True)\nclass Opt:\n    _cls: int = 2"),
        (DATA, "@dataclass(frozen=True)\nclass Opt(nn.Module):\n    depth: int = 2"),
        (NAMED, "class Cfg(NamedTuple):\n    widths: list = [1, 2]"),
        (NAMED, "class Cfg(NamedTuple):\n    width: int = 3\n    half = 2"),
        ("from dataclasses import field\n", ""),
    ],
)
def test_unsafe_config_classes_are_refused(imports: str, top: str) -> None:
    source = model_source(imports=HEADER + imports, top=top or "X = 1")
    assert not check(source).accepted


def test_annotations_are_type_expressions_outside_the_member_allowlist() -> None:
    imports = (
        "from __future__ import annotations\n\n"
        + HEADER
        + "import numpy as np\nfrom typing import Optional\n"
    )
    methods = (
        "def helper(self, a: np.ndarray, b: Optional[torch.Tensor] = None) -> list[int]:\n    return [1]"
    )
    source = model_source(imports=imports, methods=methods)
    assert check(source).accepted, check(source).violations
    assert not check(
        model_source(imports=imports, methods="def helper(self, a: np.load('x')):\n    return 1")
    ).accepted
    assert not check(
        model_source(imports=imports, methods="def helper(self, a: torch._C):\n    return 1")
    ).accepted


def test_print_weight_norm_and_helper_modules() -> None:
    top = (
        "class Block(nn.Module):\n    def __init__(self, conv, scale):\n        super().__init__()\n"
        "        self.conv = nn.utils.weight_norm(conv, name='weight')\n        self.scale = scale\n\n"
        "    def forward(self, x):\n        return self.conv(x) * self.scale"
    )
    init = (
        "self.block = Block(nn.Conv1d(input_shape[0], 4, 3, padding=1), 0.5)\n"
        "self.sn = nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2))"
    )
    forward = "print('shape', x.shape)\nreturn self.fc(x.flatten(1))"
    source = model_source(top=top, init=init, forward=forward)
    assert check(source, class_name="Model").accepted, check(source).violations
    bad = model_source(init="self.n = nn.utils.weight_norm(self.fc, name='__cl' + 'ass__')")
    assert "SV116" in codes(bad)


def test_main_guard_is_refused_with_a_clear_message() -> None:
    source = model_source() + '\n\nif __name__ == "__main__":\n    print(Model((1, 4), 2))\n'
    messages = [v.message for v in check(source).violations if v.code == "SV108"]
    assert any("__main__" in m and "remove the block" in m for m in messages)


@pytest.mark.parametrize(
    "init",
    [
        "self.md = nn.ModuleDict({'__arr' + 'ay_interface__': nn.Identity()})",
        "self.pd = nn.ParameterDict({'_keys': nn.Parameter(torch.ones(1))})",
        "self.md = nn.ModuleDict({str(1): nn.Identity()})",
    ],
)
def test_dict_literal_keys_follow_the_key_policy(init: str) -> None:
    assert "SV114" in codes(model_source(init=init))


def test_annotations_outside_the_allowlist_need_lazy_annotations() -> None:
    imports = HEADER + "import numpy as np\n"
    methods = "def helper(self, a: np.ndarray) -> int:\n    return 1"
    found = [v.message for v in check(model_source(imports=imports, methods=methods)).violations]
    assert any("from __future__ import annotations" in m for m in found), found


@pytest.mark.parametrize(
    ("imports", "init"),
    [
        ("", "torch.manual_seed(0)"),
        ("", "torch.set_default_dtype(torch.float64)"),
        ("", "torch.set_grad_enabled(False)"),
        ("", "torch.use_deterministic_algorithms(True)"),
        ("", "torch.backends.cudnn.benchmark = True"),
        ("", "torch.autograd.set_detect_anomaly(True)"),
        ("import numpy as np\n", "np.set_printoptions(precision=2)"),
        ("import numpy as np\n", "np.seterr(all='ignore')"),
        ("import warnings\n", "warnings.filterwarnings('ignore')"),
        ("import gc\n", "gc.disable()"),
        ("import sys\n", "sys.setrecursionlimit(10)"),
        ("import abc\n", "abc.ABCMeta.register(nn.Module, int)"),
        ("import collections.abc\n", "collections.abc.Sequence.register(int)"),
        ("from typing import Sequence\n", "Sequence.register(int)"),
    ],
)
def test_interpreter_global_switches_are_refused(imports: str, init: str) -> None:
    assert not check(model_source(imports=HEADER + imports, init=init)).accepted


STATEFUL = (
    "class Patcher(nn.Module):\n    def poke(self):\n        self.flag = 1\n\n"
    "    def forward(self, x):\n        return x"
)


@pytest.mark.parametrize(
    "init",
    [
        "self.kind = Patcher\nself.kind.poke(torch.Tensor)",
        "kinds = [Patcher]",
        "k = Patcher if hidden else None",
        "self.m = self.build(Patcher)",
    ],
)
def test_classes_with_self_stores_do_not_escape_as_values(init: str) -> None:
    methods = "def build(self, cls):\n    return cls()"
    assert "SV112" in codes(model_source(top=STATEFUL, init=init, methods=methods))


def test_read_only_classes_and_class_positions_are_values_as_usual() -> None:
    top = (
        STATEFUL
        + "\n\n\nclass Basic(nn.Module):\n    def __init__(self, width):\n        super().__init__()\n"
        "        self.lin = nn.Linear(width, width)\n\n    def forward(self, x):\n        return self.lin(x)"
    )
    init = (
        "self.blocks = self.make(Basic, 4, 2)\n"
        "self.p = Patcher()\n"
        "ok = isinstance(self.p, Patcher) and isinstance(self.p, (Basic, Patcher))"
    )
    methods = "def make(self, block, width, n):\n    return nn.Sequential(*[block(width) for _ in range(n)])"
    source = model_source(top=top, init=init, methods=methods)
    assert check(source).accepted, check(source).violations
