# technique: star import binds unknown names (e.g. load, save) that no check can attribute
# source: smolagents import wildcard handling; pyjail write-ups
# expect: SV101
import math

import torch
from torch import nn
from torch import *


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.state = load('/data/x.pt')

    def forward(self, x):
        return self.fc(x.flatten(1))
