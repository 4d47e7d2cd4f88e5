# technique: class defined inside a method: new types created at run time
# source: Sentinel brief (exactly the declared classes)
# expect: SV110
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        class Inner(nn.Module):
            pass
        return self.fc(x.flatten(1))
