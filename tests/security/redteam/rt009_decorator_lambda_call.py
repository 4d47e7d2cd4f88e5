# technique: decorator that calls code at import time: @(lambda f: ...) (PEP 614 relaxed decorators)
# source: pyjail write-ups (decorator execution without a call expression)
# expect: SV109
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))

    @(lambda f: torch.zeros(1 << 40) and f)
    def helper(self, x):
        return x
