# technique: class keyword arguments reach __init_subclass__ of a base
# source: Python data model (__init_subclass__ receives class keywords)
# expect: SV110
import math

import torch
from torch import nn


class Model(nn.Module, flavour='evil'):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
