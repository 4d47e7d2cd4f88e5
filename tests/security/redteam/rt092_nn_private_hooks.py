# technique: nn.Module private state: install a hook by writing self._forward_hooks
# source: torch.nn.Module internals
# expect: SV105
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        self._forward_hooks.clear()
        return self.fc(x.flatten(1))
