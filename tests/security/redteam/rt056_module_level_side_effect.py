# technique: module-level call runs at import, before any check of the trainer (memory bomb)
# source: Sentinel brief (side effects at module level)
# expect: SV108
import math

import torch
from torch import nn


BUFFER = torch.zeros(1 << 40)


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
