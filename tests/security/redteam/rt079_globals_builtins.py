# technique: globals()['__builtins__'] reaches eval through the module namespace
# source: pyjail write-ups (globals/vars/locals)
# expect: SV103
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        b = globals()['__builtins__']
        return self.fc(x.flatten(1))
