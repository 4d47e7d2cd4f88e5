# technique: metaclass executes code while the model class is built
# source: pyjail write-ups (metaclass __new__ execution); smolagents class-definition issues
# expect: SV110
import math

import torch
from torch import nn


class Meta(type(nn.Module)):
    pass


class Model(nn.Module, metaclass=Meta):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
