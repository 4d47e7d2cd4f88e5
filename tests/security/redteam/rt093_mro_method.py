# technique: type.mro() walks the class hierarchy without dunder syntax
# source: pyjail write-ups
# expect: SV105
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        chain = nn.Linear.mro()
        return self.fc(x.flatten(1))
