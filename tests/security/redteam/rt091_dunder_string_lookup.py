# technique: dunder name in a string passed to a string-keyed API
# source: string-built attribute names (getattr-like APIs)
# expect: SV104
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        sub = self.get_submodule('__class__')
        return self.fc(x.flatten(1))
