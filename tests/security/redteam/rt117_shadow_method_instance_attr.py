# technique: shadow nn.Module.parameters with an instance attribute instead of a method
# source: issue 12: overriding parameters() by store
# expect: SV113
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.parameters = self.frozen_params

    def forward(self, x):
        return self.fc(x.flatten(1))

    def frozen_params(self, recurse: bool = True):
        return iter(())
