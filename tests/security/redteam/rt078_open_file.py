# technique: open() reads any file the container can see
# source: smolagents DANGEROUS_FUNCTIONS
# expect: SV103
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.secret = open('/data/MANIFEST.json').read()

    def forward(self, x):
        return self.fc(x.flatten(1))
