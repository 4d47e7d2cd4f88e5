# technique: register_buffer with a computed dunder name makes getattr(self, '__array_interface__') return a tensor
# source: member audit: registration by name
# expect: SV116
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        name = '__array_' + 'interface__'
        self.register_buffer(name, torch.zeros(3))

    def forward(self, x):
        return self.fc(x.flatten(1))
