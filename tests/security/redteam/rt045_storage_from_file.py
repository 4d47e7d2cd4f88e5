# technique: tensor storage classmethod from_file reached from a value, not a module
# source: PyTorch UntypedStorage.from_file
# expect: SV105
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        s = x.untyped_storage().from_file('/etc/passwd', False, 64)
        return self.fc(x.flatten(1))
