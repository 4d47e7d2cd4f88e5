# technique: monkeypatch torch.isfinite to hide NaNs from the in-loop monitor
# source: integrity of the trainer/monitor (shared interpreter)
# expect: SV102
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        torch.isfinite = torch.ones_like

    def forward(self, x):
        return self.fc(x.flatten(1))
