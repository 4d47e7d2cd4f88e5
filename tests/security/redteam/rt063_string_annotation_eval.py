# technique: string annotation evaluated later by typing.get_type_hints (eval of arbitrary text)
# source: typing.get_type_hints / ForwardRef._evaluate
# expect: SV108
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x: "exec('import os')"):
        return self.fc(x.flatten(1))
