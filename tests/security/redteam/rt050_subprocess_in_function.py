# technique: import subprocess inside a method (late import to dodge top-level scans)
# source: smolagents DANGEROUS_MODULES (subprocess); CVE-2025-9959 target
# expect: SV101
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        import subprocess
        subprocess.run(['id'])
        return self.fc(x.flatten(1))
