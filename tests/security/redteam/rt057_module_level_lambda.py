# technique: lambda stored at module level: an unnamed function that escapes review
# source: Sentinel brief (lambdas at module level)
# expect: SV108
import math

import torch
from torch import nn


act = lambda t: t.relu()


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
