# technique: pickle.loads executes __reduce__ payloads
# source: Python pickle docs warning; smolagents CVE-2025-14931 (pickle RCE)
# expect: SV101
import math

import torch
from torch import nn
import pickle


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.cfg = pickle.loads(b'')

    def forward(self, x):
        return self.fc(x.flatten(1))
