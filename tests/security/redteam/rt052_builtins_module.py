# technique: import builtins to reach eval/exec/open by attribute
# source: smolagents DANGEROUS_MODULES (builtins)
# expect: SV101
import math

import torch
from torch import nn
import builtins


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        builtins.exec('1')
        return self.fc(x.flatten(1))
