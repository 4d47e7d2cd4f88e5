# technique: module-level __getattr__ (PEP 562) intercepts every failed attribute lookup on the module
# source: PEP 562
# expect: SV104
import math

import torch
from torch import nn


def __getattr__(name):
    return name


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
