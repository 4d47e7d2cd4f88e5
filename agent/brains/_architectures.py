"""Tier-3 architectures: a small genome, drawn from the seed and the history, rendered with libcst.

The source is assembled from syntax trees, never by pasting strings: the building blocks
(conv, residual, attention) are vetted snippets parsed once and specialised by a libcst
transform (the activation), and the model class itself (its layer list, pooling, widths, head)
is built node by node from the genome. Every model takes `(batch, *input_shape)`: a signal
`(channels, length)` is used as is, a flat `(features,)` input is read as one channel, and any
further dimensions are folded into the length, so one file serves every supervised dataset.

The host only renders and validates this text; it is imported inside a container alone.
"""

from __future__ import annotations

import hashlib
import random
import textwrap
from dataclasses import dataclass

import libcst as cst

__all__ = ["ACTIVATIONS", "BLOCKS", "Genome", "Hints", "Stage", "design", "render"]

BLOCKS = ("conv", "residual", "attention", "pooling")
ACTIVATIONS = ("relu", "gelu", "silu")
POOLS = {"max": "nn.MaxPool1d", "avg": "nn.AvgPool1d"}
WIDTHS = (16, 24, 32)  # base widths: with MAX_MULT the widest stage has 128 channels
MAX_MULT = 4  # the widest stage has 4x the base width
ATTENTION_TOKENS = 32  # attention sees at most 32 positions: quadratic cost stays small on a CPU

_CONV = '''
class ConvBlock(nn.Module):
    """Conv1d, GroupNorm and an activation: local patterns at one scale."""

    def __init__(self, width_in: int, width_out: int, kernel_size: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(width_in, width_out, kernel_size, padding=kernel_size // 2)
        self.norm = nn.GroupNorm(1, width_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ACTIVATION(self.norm(self.conv(x)))
'''
_RESIDUAL = '''
class ResidualBlock(nn.Module):
    """Two convolutions with a skip path (projected when the width changes)."""

    def __init__(self, width_in: int, width_out: int, kernel_size: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(width_in, width_out, kernel_size, padding=kernel_size // 2)
        self.norm1 = nn.GroupNorm(1, width_out)
        self.conv2 = nn.Conv1d(width_out, width_out, kernel_size, padding=kernel_size // 2)
        self.norm2 = nn.GroupNorm(1, width_out)
        self.skip = nn.Identity() if width_in == width_out else nn.Conv1d(width_in, width_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = ACTIVATION(self.norm1(self.conv1(x)))
        return ACTIVATION(self.norm2(self.conv2(h)) + self.skip(x))
'''
_ATTENTION = '''
class AttentionBlock(nn.Module):
    """Pre-norm self-attention over positions, with a residual connection and a feed-forward."""

    def __init__(self, width: int, heads: int, tokens: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool1d(tokens)
        self.norm1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads if width % heads == 0 else 1, batch_first=True)
        self.norm2 = nn.LayerNorm(width)
        self.ff1 = nn.Linear(width, 2 * width)
        self.ff2 = nn.Linear(2 * width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.pool(x).transpose(1, 2)
        q = self.norm1(h)
        attended, _ = self.attn(q, q, q, need_weights=False)
        h = h + attended
        h = h + self.ff2(ACTIVATION(self.ff1(self.norm2(h))))
        return h.transpose(1, 2)
'''
_TEMPLATES = {"conv": _CONV, "residual": _RESIDUAL, "attention": _ATTENTION}
_IMPORTS = ("import math", "import torch", "import torch.nn.functional as F", "from torch import nn")
# The input prologue: vetted statements, the same in every generated model.
_SHAPE = (
    "self.channels = input_shape[0] if len(input_shape) > 1 else 1",
    "self.length = math.prod(input_shape[1:]) if len(input_shape) > 1 else input_shape[0]",
    "kernel_size = kernel_size // 2 * 2 + 1",
    "layers = []",
)


@dataclass(frozen=True, slots=True)
class Stage:
    """`repeats` blocks of one kind at `mult` times the base width, then a pooling (or none)."""

    block: str  # conv | residual
    repeats: int
    mult: int
    pool: str  # max | avg | none


@dataclass(frozen=True, slots=True)
class Genome:
    stages: tuple[Stage, ...]
    attention: bool
    heads: int
    head_pool: str  # mean | meanmax
    activation: str
    width: int
    kernel_size: int
    dropout: float

    def __post_init__(self) -> None:
        if not self.stages or any(s.block not in ("conv", "residual") for s in self.stages):
            raise ValueError(f"stages must be conv or residual blocks, got {self.stages}")
        if self.activation not in ACTIVATIONS or self.head_pool not in ("mean", "meanmax"):
            raise ValueError(f"bad activation/head pool {self.activation!r}/{self.head_pool!r}")
        if any(s.pool not in (*POOLS, "none") or not 1 <= s.mult <= MAX_MULT for s in self.stages):
            raise ValueError(f"stage pool must be max|avg|none and mult 1..{MAX_MULT}")

    @property
    def blocks(self) -> frozenset[str]:
        """Which block templates the model uses (pooling counts as one)."""
        kinds = {s.block for s in self.stages} | ({"attention"} if self.attention else set())
        return frozenset(kinds | ({"pooling"} if any(s.pool != "none" for s in self.stages) else set()))

    @property
    def out_mult(self) -> int:
        return self.stages[-1].mult

    def params(self) -> dict[str, int | float]:
        """Constructor values stored in the model entry (tunable later like any model param)."""
        return {"width": self.width, "kernel_size": self.kernel_size, "dropout": self.dropout}

    def describe(self) -> str:
        parts = [
            f"{s.repeats}x {s.block}(width*{s.mult})" + (f" + {s.pool}pool" if s.pool != "none" else "")
            for s in self.stages
        ]
        if self.attention:
            parts.append(f"attention({self.heads} heads, <= {ATTENTION_TOKENS} positions)")
        parts.append("global mean+max pool" if self.head_pool == "meanmax" else "global mean pool")
        return (
            " -> ".join(parts) + f"; width {self.width}, kernel {self.kernel_size}, {self.activation}, "
            f"dropout {self.dropout:g}"
        )


@dataclass(frozen=True, slots=True)
class Hints:
    """What the history suggests: the best run's model family and width (None when unknown)."""

    family: str | None = None  # mlp | cnn1d | resnet1d | transformer | generated
    width: int | None = None


def design(seed: int, salt: str, hints: Hints | None = None) -> Genome:
    """A genome drawn from `seed` and `salt` (campaign, generation number and history digest)
    alone: the same inputs always give the same architecture, with no hidden state."""
    hints = hints or Hints()
    digest = hashlib.sha256(f"{seed}|{salt}|{hints.family}|{hints.width}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    residual_weight = 3 if hints.family in ("resnet1d", "generated") else 1 if hints.family == "mlp" else 2
    n_stages = rng.choice((2, 3, 3, 4))
    stages, mult = [], 1
    for index in range(n_stages):
        block = rng.choices(("conv", "residual"), weights=(2, residual_weight))[0]
        if index:
            mult = min(MAX_MULT, mult * rng.choice((1, 2, 2)))
        pool = "none" if index == n_stages - 1 and rng.random() < 0.5 else rng.choice(("max", "avg"))
        stages.append(Stage(block, rng.choice((1, 1, 2)), mult, pool))
    attention = rng.random() < (0.75 if hints.family == "transformer" else 0.5)
    near = [w for w in WIDTHS if hints.width is None or w <= max(16, hints.width * 2)]
    return Genome(
        stages=tuple(stages),
        attention=attention,
        heads=rng.choice((2, 4)),
        head_pool=rng.choice(("mean", "meanmax")),
        activation=rng.choice(ACTIVATIONS),
        width=rng.choice(near[-3:]),
        kernel_size=rng.choice((3, 5, 7)),
        dropout=rng.choice((0.0, 0.1, 0.2)),
    )


def render(genome: Genome, class_name: str = "GeneratedNet", docstring: str = "") -> str:
    """The genome as a complete module: imports, the block classes it uses, the model class."""
    if not class_name.isidentifier():
        raise ValueError(f"class name {class_name!r} is not an identifier")
    kinds = [k for k in ("conv", "residual", "attention") if k in genome.blocks or k == "conv"]
    text = f"{docstring}\n\nArchitecture: {genome.describe()}." if docstring else genome.describe()
    body: list[cst.BaseStatement] = [cst.SimpleStatementLine([cst.Expr(cst.SimpleString(_docstring(text)))])]
    imports = [cst.parse_statement(line) for line in _IMPORTS]
    imports[0] = imports[0].with_changes(leading_lines=[cst.EmptyLine()])
    body.extend(imports)
    body.extend(_block(kind, genome.activation) for kind in kinds)
    body.append(_model_class(genome, class_name))
    return cst.Module(body=body).code


# libcst construction -----------------------------------------------------------------------
class _Specialise(cst.CSTTransformer):
    """Replace the placeholder name ACTIVATION in a vetted block with `F.<activation>`."""

    def __init__(self, activation: str) -> None:
        self.activation = activation

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        return _dotted(f"F.{self.activation}") if updated.value == "ACTIVATION" else updated


def _block(kind: str, activation: str) -> cst.BaseStatement:
    template = cst.parse_module(_TEMPLATES[kind].lstrip("\n"))
    specialised = template.visit(_Specialise(activation))
    (statement,) = specialised.body
    return statement.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])


def _dotted(path: str) -> cst.BaseExpression:
    head, *rest = path.split(".")
    node: cst.BaseExpression = cst.Name(head)
    for part in rest:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


Value = cst.BaseExpression | int | float | str


def _expr(value: Value) -> cst.BaseExpression:
    """Python ints/floats become literals, str a (dotted) name; nodes pass through."""
    if isinstance(value, cst.BaseExpression):
        return value
    if isinstance(value, bool):
        return cst.Name("True" if value else "False")
    if isinstance(value, int):
        return cst.Integer(str(value))
    if isinstance(value, float):
        return cst.Float(repr(value))
    return _dotted(value)


def _call(func: str, *args: Value, **kwargs: Value) -> cst.Call:
    items = [cst.Arg(_expr(a)) for a in args]
    items += [
        cst.Arg(
            _expr(v),
            keyword=cst.Name(k),
            equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
        )
        for k, v in kwargs.items()
    ]
    return cst.Call(func=_dotted(func), args=items)


def _times(name: str, factor: int) -> cst.BaseExpression:
    """`name` or `name * factor`: stage widths scale with the tunable base width."""
    if factor == 1:
        return cst.Name(name)
    return cst.BinaryOperation(cst.Name(name), cst.Multiply(), cst.Integer(str(factor)))


def _assign(target: str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(_dotted(target))], value)])


def _line(expr: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([cst.Expr(expr)])


def _append(layer: cst.Call) -> cst.SimpleStatementLine:
    return _line(_call("layers.append", layer))


def _halve_length() -> cst.SimpleStatementLine:
    """`length = (length + 1) // 2`: what a ceil-mode pooling of 2 leaves."""
    plus_one = cst.BinaryOperation(
        cst.Name("length"),
        cst.Add(),
        cst.Integer("1"),
        lpar=[cst.LeftParen()],
        rpar=[cst.RightParen()],
    )
    return _assign("length", cst.BinaryOperation(plus_one, cst.FloorDivide(), cst.Integer("2")))


def _layers(genome: Genome) -> list[cst.BaseStatement]:
    out: list[cst.BaseStatement] = [_append(_call("ConvBlock", "self.channels", "width", "kernel_size"))]
    before = 1
    for stage in genome.stages:
        block = "ConvBlock" if stage.block == "conv" else "ResidualBlock"
        for repeat in range(stage.repeats):
            width_in = _times("width", before if repeat == 0 else stage.mult)
            out.append(_append(_call(block, width_in, _times("width", stage.mult), "kernel_size")))
        before = stage.mult
        if stage.pool != "none":
            out.append(_append(_call(POOLS[stage.pool], 2, ceil_mode=True)))
            if genome.attention:  # the attention block is sized from the length that reaches it
                out.append(_halve_length())
    if genome.attention:
        tokens = _call("min", ATTENTION_TOKENS, "length")
        out.append(_append(_call("AttentionBlock", _times("width", genome.out_mult), genome.heads, tokens)))
    return out


def _param(name: str, annotation: str | cst.BaseExpression, default: Value | None = None) -> cst.Param:
    ann = cst.Annotation(_expr(annotation))
    if default is None:
        return cst.Param(cst.Name(name), annotation=ann)
    return cst.Param(cst.Name(name), annotation=ann, default=_expr(default))


def _function(
    name: str, params: list[cst.Param], returns: str, body: list[cst.BaseStatement], wrap: bool = False
) -> cst.FunctionDef:
    """A method; `wrap` puts one parameter per line (a long constructor stays readable)."""
    every = [cst.Param(cst.Name("self")), *params]
    if wrap:
        every = [p.with_changes(comma=cst.Comma(whitespace_after=_newline(8))) for p in every]
        every[-1] = every[-1].with_changes(comma=cst.Comma(whitespace_after=_newline(4)))
    return cst.FunctionDef(
        name=cst.Name(name),
        params=cst.Parameters(params=every),
        body=cst.IndentedBlock(body),
        returns=cst.Annotation(_expr(returns)),
        leading_lines=[cst.EmptyLine(indent=False)],
        whitespace_before_params=_newline(8) if wrap else cst.SimpleWhitespace(""),
    )


def _newline(indent: int) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), last_line=cst.SimpleWhitespace(" " * indent)
    )


def _model_class(genome: Genome, class_name: str) -> cst.ClassDef:
    shape = cst.Subscript(
        cst.Name("tuple"),
        [cst.SubscriptElement(cst.Index(cst.Name("int"))), cst.SubscriptElement(cst.Index(cst.Ellipsis()))],
    )
    head_width = _times("width", genome.out_mult * (2 if genome.head_pool == "meanmax" else 1))
    init_body: list[cst.BaseStatement] = [
        _line(cst.Call(cst.Attribute(cst.Call(cst.Name("super")), cst.Name("__init__")))),
        *(cst.parse_statement(line) for line in _SHAPE),
        *([cst.parse_statement("length = self.length")] if genome.attention else []),
        *_layers(genome),
        _assign("self.body", _sequential()),
        _assign("self.dropout", _call("nn.Dropout", "dropout")),
        _assign("self.head", _call("nn.Linear", head_width, "output_dim")),
    ]
    init = _function(
        "__init__",
        [
            _param("input_shape", shape),
            _param("output_dim", "int"),
            _param("width", "int", genome.width),
            _param("kernel_size", "int", genome.kernel_size),
            _param("dropout", "float", float(genome.dropout)),
        ],
        "None",
        init_body,
        wrap=True,
    )
    forward = _function("forward", [_param("x", "torch.Tensor")], "torch.Tensor", _forward(genome))
    summary = "A stem convolution, the stages below, optional attention, global pooling, a linear head."
    doc = cst.SimpleStatementLine([cst.Expr(cst.SimpleString(_docstring(summary)))])
    return cst.ClassDef(
        name=cst.Name(class_name),
        bases=[cst.Arg(_dotted("nn.Module"))],
        body=cst.IndentedBlock([doc, init, forward]),
        leading_lines=[cst.EmptyLine(), cst.EmptyLine()],
    )


def _sequential() -> cst.Call:
    """`nn.Sequential(*layers)`."""
    return cst.Call(_dotted("nn.Sequential"), [cst.Arg(cst.Name("layers"), star="*")])


def _forward(genome: Genome) -> list[cst.BaseStatement]:
    reshape = _call("x.reshape", cst.parse_expression("x.shape[0]"), "self.channels", "self.length")
    dim2 = {"dim": 2}
    pooled: cst.BaseExpression = _call("h.mean", **dim2)
    if genome.head_pool == "meanmax":
        pair = cst.List([cst.Element(_call("h.mean", **dim2)), cst.Element(_call("h.amax", **dim2))])
        pooled = _call("torch.cat", pair, dim=1)
    return [
        _assign("h", _call("self.body", reshape)),
        _assign("pooled", pooled),
        cst.SimpleStatementLine([cst.Return(_call("self.head", _call("self.dropout", "pooled")))]),
    ]


def _docstring(text: str) -> str:
    """Sentinel's wording as a docstring literal: no backslashes or quote runs, wrapped at 96."""
    paragraphs = [" ".join(p.split()) for p in text.replace("\\", "/").replace('"', "'").split("\n\n")]
    lines = "\n\n".join(textwrap.fill(p, 96) for p in paragraphs if p)
    return f'"""{lines}\n"""' if "\n" in lines else f'"""{lines}"""'
