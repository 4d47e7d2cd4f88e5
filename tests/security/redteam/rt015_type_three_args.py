# technique: type(name, bases, ns) builds a class at run time, dodging class-level checks
# source: pyjail write-ups (type() construction)
# expect: SV103
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        Evil = type('Evil', (nn.Module,), {'forward': lambda self, x: x})
        return self.fc(x.flatten(1))
