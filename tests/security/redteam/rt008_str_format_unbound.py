# technique: str.format called unbound on a non-literal template: str.format(tmpl, x)
# source: RestrictedPython CVE-2023-41039 variant
# expect: SV106
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        tmpl = '{0.__class__}'
        s = str.format(tmpl, x)
        return self.fc(x.flatten(1))
