# technique: torch.jit.load deserialises a TorchScript archive from disk
# source: PyTorch serialization semantics (TorchScript archives run code)
# expect: SV102
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.body = torch.jit.load('/tmp/m.pt')

    def forward(self, x):
        return self.fc(x.flatten(1))
