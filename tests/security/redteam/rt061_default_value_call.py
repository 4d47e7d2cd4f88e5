# technique: default argument evaluated at definition time calls code
# source: Python semantics (defaults run at def time)
# expect: SV108
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, table=torch.randn(1 << 40)):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
