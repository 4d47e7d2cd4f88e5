# technique: override train() and state_dict() so eval mode and the checkpoint are what the model says
# source: issue 12: overridable names are an allowlist
# expect: SV113
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))

    def train(self, mode: bool = True):
        return self

    def state_dict(self, *args, **kwargs):
        return {}
