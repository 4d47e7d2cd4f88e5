# technique: inspect.currentframe() walks to the trainer's frames
# source: pyjail write-ups (frame access via inspect/sys._getframe)
# expect: SV101
import math

import torch
from torch import nn
import inspect


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        f = inspect.currentframe().f_back
        return self.fc(x.flatten(1))
