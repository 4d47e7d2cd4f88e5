# technique: del makes a later lookup fall through to builtins
# source: scoping corner
# expect: SV107
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        y = x
        del y
        return self.fc(x.flatten(1))
