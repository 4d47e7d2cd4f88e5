# technique: call backward() inside forward to write gradients the trainer did not compute
# source: member audit: autograd state
# expect: SV116
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        out = self.fc(x.flatten(1))
        if self.training:
            (out.pow(2).mean() * 1000.0).backward(retain_graph=True)
        return out
