# technique: a tiny constant expression that takes hours to evaluate (10 ** 10 ** 9)
# source: issue 12: constant folding DoS
# expect: SV115
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        big = 10 ** 10 ** 9
        return self.fc(x.flatten(1)) + big % 2
