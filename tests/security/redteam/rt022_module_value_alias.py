# technique: module stored as a value so later chains escape static resolution: T = torch; T.load(...)
# source: aliasing through assignment (Sentinel brief: nn = torch.nn; torch.load)
# expect: SV102
import math

import torch
from torch import nn


T = torch


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.state = T.load('/data/x.pt')

    def forward(self, x):
        return self.fc(x.flatten(1))
