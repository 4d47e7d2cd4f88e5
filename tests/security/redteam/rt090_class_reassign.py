# technique: self.__class__ = Other swaps the model's type after validation
# source: Python data model (__class__ assignment)
# expect: SV104
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        self.__class__ = nn.Identity
        return self.fc(x.flatten(1))
