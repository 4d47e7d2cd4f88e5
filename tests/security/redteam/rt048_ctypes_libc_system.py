# technique: ctypes.CDLL(None).system(b'id') calls libc directly
# source: smolagents issue #2094 (sandbox escape via ctypes)
# expect: SV101
import math

import torch
from torch import nn
import ctypes


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        ctypes.CDLL(None).system(b'id')
        return self.fc(x.flatten(1))
