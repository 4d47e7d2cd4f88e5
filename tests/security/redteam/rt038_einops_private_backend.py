# technique: einops private backend module (einops._backends) reaches torch internals
# source: allowlist bypass via private submodules
# expect: SV102
import math

import torch
from torch import nn
import einops


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        b = einops._backends.get_backend(x)
        return self.fc(x.flatten(1))
