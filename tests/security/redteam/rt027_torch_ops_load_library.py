# technique: torch.ops.load_library dlopens a shared object (native code execution)
# source: PyTorch custom-op docs (load_library)
# expect: SV102
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        torch.ops.load_library('/tmp/libevil.so')

    def forward(self, x):
        return self.fc(x.flatten(1))
