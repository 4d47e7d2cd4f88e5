# technique: collections.abc.Mapping.register(int) changes isinstance for the whole interpreter (the trainer's summary writer crashes)
# source: issue 12: interpreter-global state
# expect: SV112, SV116
import math

import torch
from torch import nn
import collections.abc


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        collections.abc.Mapping.register(int)

    def forward(self, x):
        return self.fc(x.flatten(1))
