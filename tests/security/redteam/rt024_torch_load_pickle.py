# technique: torch.load unpickles arbitrary objects (weights_only=False executes __reduce__)
# source: PyTorch CVE-2025-32434 (torch.load RCE even with weights_only=True before 2.6)
# expect: SV102
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.load_state_dict(torch.load('/data/w.pt', weights_only=False))

    def forward(self, x):
        return self.fc(x.flatten(1))
