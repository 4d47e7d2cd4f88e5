# technique: numpy.memmap maps arbitrary files into memory
# source: NumPy memmap docs
# expect: SV102
import math

import torch
from torch import nn
import numpy as np


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.leak = np.memmap('/etc/passwd', mode='r')

    def forward(self, x):
        return self.fc(x.flatten(1))
