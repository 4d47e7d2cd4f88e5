# technique: match class pattern reads __class__ by keyword with no Attribute node
# source: pyjail write-ups (structural pattern matching attribute access)
# expect: SV107
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        match x:
            case object(__class__=cls):
                pass
        return self.fc(x.flatten(1))
