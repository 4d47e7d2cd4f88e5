# technique: nn.ParameterDict item access is getattr: a concatenated key reaches __class__
# source: issue 12: pd['__cl' + 'ass__']
# expect: SV114
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.pd = nn.ParameterDict({'scale': nn.Parameter(torch.ones(1))})
        key = '__cl' + 'ass__'
        self.owner = self.pd[key]

    def forward(self, x):
        return self.fc(x.flatten(1))
