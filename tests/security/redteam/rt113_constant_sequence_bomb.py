# technique: a constant sequence repeat that allocates terabytes ('a' * 10**12)
# source: issue 12: constant folding DoS
# expect: SV115
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.pad = 'a' * 10**12

    def forward(self, x):
        return self.fc(x.flatten(1))
