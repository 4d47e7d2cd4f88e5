# technique: while True loop at forward time (denial of service)
# source: resource exhaustion
# expect: SV107
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        while True:
            x = x + 1
        return self.fc(x.flatten(1))
