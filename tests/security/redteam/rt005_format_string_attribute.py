# technique: str.format field that walks attributes: '{0.__class__.__base__}'.format(x)
# source: RestrictedPython CVE-2023-41039; Ronacher 2016 'Be Careful with Python's New-Style String Format'
# expect: SV106
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        name = '{0.__class__.__base__}'.format(x)
        return self.fc(x.flatten(1))
