# technique: the builtin pow() (and math.factorial) computes the same giant constant as 10 ** 10 ** 9 without a ** operator
# source: issue 12: constant folding must be size-capped; pow is an allowed builtin
# expect: SV115
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.salt = pow(10, pow(10, 9)) % 7 + math.factorial(10**8) % 3

    def forward(self, x):
        return self.fc(x.flatten(1)) + self.salt
