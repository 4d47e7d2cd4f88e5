# technique: nn.ParameterDict built from dict(zip(...)) sets attributes named at run time (here __array_interface__)
# source: issue 12: ParameterDict keys must be static
# expect: SV114
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        names = ['__array_' + 'interface__']
        self.pd = nn.ParameterDict(dict(zip(names, [{'shape': (8,), 'typestr': '|u1', 'data': (4096, True), 'version': 3}])))

    def forward(self, x):
        return self.fc(x.flatten(1))
