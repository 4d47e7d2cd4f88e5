# technique: stacked decorators call builtins without parentheses: @exec @input
# source: pyjail write-ups (call without parentheses via decorators)
# expect: SV109
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))

    @exec
    @input
    def helper(self, x):
        return x
