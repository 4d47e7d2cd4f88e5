# technique: attribute lookup hidden in a nested format spec: '{0:{1.real}}'
# source: Python format mini-language (nested replacement fields); RestrictedPython formatter guard
# expect: SV106
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        s = '{0:{1.__doc__}}'.format(1, x)
        return self.fc(x.flatten(1))
