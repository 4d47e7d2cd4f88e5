# technique: torch.library registers operators with Python/C++ kernels
# source: PyTorch torch.library docs
# expect: SV102
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        lib = torch.library.Library('evil', 'DEF')

    def forward(self, x):
        return self.fc(x.flatten(1))
