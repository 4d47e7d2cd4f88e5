# technique: call a method through the class with a tensor as self; the file defines a torch private name to whitelist it
# source: static private-attribute heuristics (Model.method(tensor)) bypass
# expect: SV105
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        st = Model.peek(x)
        return self.fc(x.flatten(1))

    def _set_from_file(self, *args):
        return None

    def peek(self):
        return self._set_from_file(0, 0, True, 1)
