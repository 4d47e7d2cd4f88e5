# technique: set __array_interface__ on a ParameterDict instance through a computed key, then let numpy read raw memory
# source: issue 12: numpy honours an instance __array_interface__
# expect: SV114
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.pd = nn.ParameterDict()
        name = '__array_' + 'interface__'
        self.pd[name] = {'shape': (8,), 'typestr': '|u1', 'data': (4096, True), 'version': 3}

    def forward(self, x):
        return self.fc(x.flatten(1))
