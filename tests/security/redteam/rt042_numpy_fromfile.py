# technique: numpy.fromfile reads arbitrary files
# source: NumPy fromfile docs
# expect: SV102
import math

import torch
from torch import nn
import numpy as np


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.leak = np.fromfile('/etc/shadow', dtype=np.uint8)

    def forward(self, x):
        return self.fc(x.flatten(1))
