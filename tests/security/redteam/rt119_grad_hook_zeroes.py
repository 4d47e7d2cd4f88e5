# technique: a tensor grad hook rewrites gradients behind the trainer's back
# source: issue 12: train through the model's own grad hooks
# expect: SV116
import math

import torch
from torch import nn


def _scrub(grad):
    return grad * 0


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.fc.weight.register_hook(_scrub)

    def forward(self, x):
        return self.fc(x.flatten(1))
