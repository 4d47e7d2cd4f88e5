# technique: torch.compile invokes dynamo/inductor: code generation and a C++ compiler at run time
# source: PyTorch torch.compile docs (inductor writes and compiles C++)
# expect: SV102
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.fc = torch.compile(self.fc)

    def forward(self, x):
        return self.fc(x.flatten(1))
