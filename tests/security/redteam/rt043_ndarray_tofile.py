# technique: ndarray.tofile writes tensor data to any path (exfiltration past the artifact cap)
# source: NumPy ndarray.tofile docs
# expect: SV105
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        x.detach().numpy().tofile('/tmp/exfil.bin')
        return self.fc(x.flatten(1))
