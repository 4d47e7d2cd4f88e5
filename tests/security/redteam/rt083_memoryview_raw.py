# technique: memoryview over buffers: raw memory access
# source: Sentinel brief (memoryview)
# expect: SV103
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        m = memoryview(b'abc')
        return self.fc(x.flatten(1))
