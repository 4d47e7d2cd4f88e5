# technique: index a ModuleDict with a private-state key literal to reach _modules internals
# source: issue 12: container keys
# expect: SV114
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.blocks = nn.ModuleDict({'a': nn.Identity()})

    def forward(self, x):
        inner = self.blocks['_modules']
        return self.fc(x.flatten(1))
