# technique: torch re-exports os: torch.os.system(...)
# source: module re-export walking (torch/__init__ imports os, sys, ctypes)
# expect: SV102
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        torch.os.system('id')
        return self.fc(x.flatten(1))
