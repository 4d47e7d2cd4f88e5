"""Width/depth configured by module-level constants, no dataclasses (benign corpus).

Tricky parts: tuples, dicts and arithmetic in module-level constants, a class used as a
namespace for constants, class attributes on the model, annotated constants, a module docstring.
"""

import math

from torch import nn

WIDTHS = (64, 32, 16)
DROPOUT = 0.1
EPS = 1e-5
ACT_NAMES = {"relu": 0, "gelu": 1}
DEPTH = len(WIDTHS)
SCALE: float = 1.0 / math.sqrt(2.0)


class Defaults:
    """A plain namespace for constants: no bases, no methods."""

    MOMENTUM = 0.1
    AFFINE = True


class ConstantMLP(nn.Module):
    expansion = 1
    name: str = "constant-mlp"

    def __init__(
        self, input_shape, output_dim, widths: tuple = WIDTHS, act: str = "gelu", dropout: float = DROPOUT
    ):
        super().__init__()
        layers = []
        previous = math.prod(input_shape)
        for width in widths:
            layers.append(nn.Linear(previous, width * self.expansion))
            layers.append(nn.BatchNorm1d(width, eps=EPS, momentum=Defaults.MOMENTUM, affine=Defaults.AFFINE))
            layers.append(nn.GELU() if ACT_NAMES.get(act, 0) == 1 else nn.ReLU())
            layers.append(nn.Dropout(dropout))
            previous = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(previous, output_dim)

    def forward(self, x):
        return self.head(self.body(x.flatten(1))) * SCALE
