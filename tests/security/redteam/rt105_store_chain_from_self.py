# technique: monkeypatch torch.Tensor through an attribute chain that starts at self (self.kind = torch.Tensor; self.kind.abs = fn)
# source: issue 12: a store whose chain starts at self
# expect: SV105
import math

import torch
from torch import nn


def _always_finite(t):
    return t == t


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.kind = torch.Tensor
        self.kind.isfinite = _always_finite

    def forward(self, x):
        return self.fc(x.flatten(1))
