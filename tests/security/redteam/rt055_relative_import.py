# technique: relative import pulls a sibling module the validator never saw
# source: import-path confusion in plugin loaders
# expect: SV101
import math

import torch
from torch import nn
from . import helpers


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
