# technique: F re-exports torch: F.torch.load(...) passes a naive 'torch.load' match
# source: module re-export walking (torch.nn.functional imports torch, importlib, np)
# expect: SV102
import math

import torch
from torch import nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.w = F.torch.load('/data/w.pt')

    def forward(self, x):
        return self.fc(x.flatten(1))
