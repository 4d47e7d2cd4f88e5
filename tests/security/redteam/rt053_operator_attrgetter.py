# technique: operator.attrgetter('__class__') reaches attributes by string
# source: RestrictedPython security considerations (operator.attrgetter re-opens format escapes)
# expect: SV101
import math

import torch
from torch import nn
import operator


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        cls = operator.attrgetter('__globals__')(self.forward)
        return self.fc(x.flatten(1))
