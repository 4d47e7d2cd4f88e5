# technique: torch.save writes pickles wherever the process can write
# source: PyTorch serialization (torch.save)
# expect: SV102
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        torch.save(x, '/artifacts/exfil.pt')
        return self.fc(x.flatten(1))
