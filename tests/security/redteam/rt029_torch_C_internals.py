# technique: torch._C private bindings (raw dispatcher, tracing state, memory hooks)
# source: PyTorch private API surface
# expect: SV102
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.state = torch._C._get_tracing_state()

    def forward(self, x):
        return self.fc(x.flatten(1))
