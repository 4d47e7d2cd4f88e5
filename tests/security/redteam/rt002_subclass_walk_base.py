# technique: subclass walking through __base__ and __init__.__globals__ of a found class
# source: pyjail write-ups (object.__subclasses__ -> os._wrap_close.__init__.__globals__['system'])
# expect: SV104
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        g = [c for c in x.__class__.__base__.__subclasses__()][0].__init__.__globals__
        return self.fc(x.flatten(1))
