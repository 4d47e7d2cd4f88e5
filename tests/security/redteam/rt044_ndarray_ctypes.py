# technique: ndarray.ctypes exposes raw pointers and the ctypes module
# source: NumPy ndarray.ctypes docs
# expect: SV105
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        ptr = x.numpy().ctypes.data_as(None)
        return self.fc(x.flatten(1))
