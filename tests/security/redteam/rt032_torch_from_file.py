# technique: torch.from_file maps any file into a tensor (reads /etc/passwd, secrets)
# source: PyTorch API (torch.from_file)
# expect: SV102
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.leak = torch.from_file('/etc/passwd', size=64)

    def forward(self, x):
        return self.fc(x.flatten(1))
