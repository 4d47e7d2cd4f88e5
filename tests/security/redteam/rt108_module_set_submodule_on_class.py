# technique: nn.Module.set_submodule called through the class on a shared class object
# source: issue 12: nn.Module.set_submodule(nn.Linear, ...)
# expect: SV112
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        nn.Module.set_submodule(self, 'fc', nn.Identity())
        nn.Module.train(self.fc, False)

    def forward(self, x):
        return self.fc(x.flatten(1))
