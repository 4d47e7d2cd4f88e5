# technique: getattr with a string-built dunder name (no Attribute node for a dunder check to see)
# source: smolagents CVE-2025-5120 (getattr leakage to restricted modules)
# expect: SV103
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        cls = getattr(x, '__cla' + 'ss__')
        return self.fc(x.flatten(1))
