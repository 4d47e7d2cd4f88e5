# technique: a staticmethod whose first parameter is named self patches whatever is passed
# source: issue 12: foreign self through staticmethod
# expect: SV105, SV112
import math

import torch
from torch import nn


def _always(t):
    return t == t


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        Model.patch(torch.Tensor)

    def forward(self, x):
        return self.fc(x.flatten(1))

    @staticmethod
    def patch(self):
        self.isfinite = _always
