# technique: generator frame walk: (i for i in ()).gi_frame.f_back.f_globals
# source: RestrictedPython CVE-2023-37271; simpleeval issue #138 (escaping the sandbox through generators)
# expect: SV105
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        g = (i for i in range(1))
        leak = g.gi_frame.f_back.f_back.f_globals
        return self.fc(x.flatten(1))
