# technique: numpy.ctypeslib.load_library loads a shared object
# source: NumPy ctypeslib docs
# expect: SV102
import math

import torch
from torch import nn
import numpy as np


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        np.ctypeslib.load_library('libc', '/lib')

    def forward(self, x):
        return self.fc(x.flatten(1))
