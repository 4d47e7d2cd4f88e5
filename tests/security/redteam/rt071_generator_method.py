# technique: generator method (yield) to obtain a generator and its frame
# source: simpleeval issue #138 (generator methods)
# expect: SV107
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))

    def steps(self):
        yield self
