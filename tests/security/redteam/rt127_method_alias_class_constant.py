# technique: a class-body alias of a method (calibrate_ = calibrate) read through the class like a constant, called with torch.Tensor as self
# source: issue 12: Cls.method(obj) through a constant-looking alias
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
        Model.tune(torch.Tensor)

    def forward(self, x):
        return self.fc(x.flatten(1))

    def calibrate(self):
        self.isfinite = _always

    tune = calibrate
