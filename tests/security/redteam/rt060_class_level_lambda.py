# technique: lambda stored as a class attribute
# source: Sentinel brief (lambdas)
# expect: SV108
import math

import torch
from torch import nn


class Model(nn.Module):
    act = lambda self, t: t

    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
