# technique: iter(callable, sentinel) loops forever without a while statement
# source: issue 12: iter(int, 1)
# expect: SV115
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        for _ in iter(int, 1):
            x = x + 0
        return self.fc(x.flatten(1))
