# technique: set_ swaps a tensor's storage and data_ptr reads a raw pointer
# source: member audit: raw memory
# expect: SV116
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.register_buffer('cache', torch.zeros(4))

    def forward(self, x):
        addr = x.data_ptr()
        self.cache.set_(x.flatten())
        return self.fc(x.flatten(1))
