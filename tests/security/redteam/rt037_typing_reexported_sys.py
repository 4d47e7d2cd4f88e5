# technique: typing re-exports sys: typing.sys.modules['os']
# source: module re-export walking (typing imports sys, collections, functools)
# expect: SV102
import math

import torch
from torch import nn
import typing


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        typing.sys.modules['os'].system('id')
        return self.fc(x.flatten(1))
