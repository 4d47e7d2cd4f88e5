# technique: format_map with a field that reaches a generator frame
# source: RestrictedPython CVE-2023-41039 (str.format/format_map attribute access)
# expect: SV106
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        g = (i for i in range(1))
        s = '{g.gi_frame}'.format_map({'g': g})
        return self.fc(x.flatten(1))
