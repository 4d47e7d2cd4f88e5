# technique: get_submodule/get_parameter walk attributes by a runtime string
# source: member audit: getattr by string
# expect: SV116
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        w = self.get_parameter('fc.' + 'weight')
        return x.flatten(1) @ w.t()
