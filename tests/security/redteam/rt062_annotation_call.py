# technique: annotation evaluated at definition time calls code
# source: Python semantics (annotations are evaluated without __future__.annotations)
# expect: SV108
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x: torch.zeros(1 << 40)):
        return self.fc(x.flatten(1))
