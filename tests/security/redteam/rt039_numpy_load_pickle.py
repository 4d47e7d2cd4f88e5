# technique: numpy.load with allow_pickle=True unpickles arbitrary objects
# source: NumPy CVE-2019-6446 (numpy.load pickle RCE)
# expect: SV102
import math

import torch
from torch import nn
import numpy as np


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.table = np.load('/data/t.npy', allow_pickle=True)

    def forward(self, x):
        return self.fc(x.flatten(1))
