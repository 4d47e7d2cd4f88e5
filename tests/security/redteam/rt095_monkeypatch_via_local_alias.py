# technique: monkeypatch a torch class through a local alias: lin = nn.Linear; lin.forward = ...
# source: integrity of the trainer (shared classes)
# expect: SV105
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        lin = nn.Linear
        lin.forward = nn.Identity.forward

    def forward(self, x):
        return self.fc(x.flatten(1))
