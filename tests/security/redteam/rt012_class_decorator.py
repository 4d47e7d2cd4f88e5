# technique: class decorator runs arbitrary code when the class is created
# source: pyjail write-ups (decorators that call)
# expect: SV109
import math

import torch
from torch import nn


def tag(cls):
    return cls


@tag
class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
