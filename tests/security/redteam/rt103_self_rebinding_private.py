# technique: rebind self to a tensor so 'self._x' reaches torch private state (_typed_storage)
# source: static private-attribute heuristics (self._x) bypass
# expect: SV105
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        self = x
        st = self._typed_storage()
        return x
