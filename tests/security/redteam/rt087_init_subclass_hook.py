# technique: defining __init_subclass__: runs implicitly when any subclass is created
# source: Python data model; smolagents issue #2395 (unrestricted dunder methods)
# expect: SV104
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))

    def __init_subclass__(cls, **kw):
        pass
