# technique: class base computed by a call at import time (dodges the base allowlist)
# source: pyjail write-ups (type() construction)
# expect: SV110
import math

import torch
from torch import nn


class Model(type(nn.Identity())):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
