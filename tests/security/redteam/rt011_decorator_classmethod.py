# technique: classmethod hands the class object (cls) to code for subclass walking
# source: smolagents LocalPythonExecutor dunder/class issues (#2395)
# expect: SV109
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))

    @classmethod
    def build(cls):
        return cls
