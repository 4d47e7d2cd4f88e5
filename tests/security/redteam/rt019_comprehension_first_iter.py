# technique: comprehension whose first iterable is evaluated in the enclosing scope: [eval for eval in (eval,)]
# source: CPython scoping corner (PEP 572 notes on comprehension scopes); static-resolver bypass
# expect: SV103
import math

import torch
from torch import nn


RUN = [eval for eval in (eval,)]


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
