# technique: override parameters() so the optimizer and the monitor see nothing to train
# source: issue 12: overriding parameters()
# expect: SV113
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))

    def parameters(self, recurse: bool = True):
        return iter(())
