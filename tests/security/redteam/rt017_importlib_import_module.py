# technique: importlib.import_module('os')
# source: smolagents import authorization bypasses (importlib)
# expect: SV101
import math

import torch
from torch import nn
import importlib


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        importlib.import_module('os').system('id')
        return self.fc(x.flatten(1))
