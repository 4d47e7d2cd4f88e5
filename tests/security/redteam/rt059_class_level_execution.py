# technique: code in the class body runs at class creation (import time)
# source: pyjail write-ups (class-level code execution)
# expect: SV108
import math

import torch
from torch import nn


class Model(nn.Module):
    cache = torch.randn(1 << 40)

    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
