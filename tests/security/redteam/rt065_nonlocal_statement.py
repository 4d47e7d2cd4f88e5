# technique: nonlocal rebinds an enclosing variable the resolver thought fixed
# source: Sentinel brief (global/nonlocal)
# expect: SV107
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        act = self.fc
        def swap():
            nonlocal act
            act = None
        swap()
        return self.fc(x.flatten(1))
