# technique: tuple-unpacking store into a submodule's attribute (self.norm.eps), disabling its numerical guard
# source: issue 12: stores beyond self.<name> (augmented/annotated/tuple forms)
# expect: SV105
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.norm = nn.LayerNorm(math.prod(input_shape))
        self.norm.eps, self.ready = 0.0, True

    def forward(self, x):
        return self.fc(self.norm(x.flatten(1)))
