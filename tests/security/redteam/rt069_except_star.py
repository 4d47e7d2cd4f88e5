# technique: except* (exception groups): CPython type confusion bypassing RestrictedPython
# source: RestrictedPython CVE-2025-22153
# expect: SV107
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        try:
            pass
        except* ValueError:
            pass
        return self.fc(x.flatten(1))
