# technique: walrus inside a comprehension binds into the enclosing scope
# source: PEP 572 scoping; Sentinel brief (walrus tricks)
# expect: SV107
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        ys = [(h := t) for t in (x,)]
        return self.fc(h.flatten(1))
