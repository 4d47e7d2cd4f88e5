# technique: store an in-file class on self, then call its self-storing method through that attribute with torch.Tensor as self
# source: issue 12 (MyNet.calibrate(torch.Tensor)); class value escaping through self.kind
# expect: SV112
import math

import torch
from torch import nn


def _always(t):
    return t == t


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.kind = Model
        self.kind.calibrate(torch.Tensor)

    def forward(self, x):
        return self.fc(x.flatten(1))

    def calibrate(self):
        self.isfinite = _always
