# technique: module-level rebinding of an allowed builtin to a dangerous one
# source: scoping corner (module lookups fall back to builtins)
# expect: SV103
import math

import torch
from torch import nn


len = exec


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
