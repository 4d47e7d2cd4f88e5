# technique: class body reads an import before rebinding the same name (LOAD_NAME falls back to the module global)
# source: CPython LOAD_NAME semantics; static-resolver bypass
# expect: SV103
import math

import torch as t
from torch import nn


class Model(nn.Module):
    probe = t.hub
    t = 0

    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
