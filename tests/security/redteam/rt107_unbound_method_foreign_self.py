# technique: call a method through its class with torch.Tensor as self; its one-level self store patches Tensor.sum for the trainer
# source: issue 12: MyNet.calibrate(torch.Tensor)
# expect: SV112
import math

import torch
from torch import nn


def _zero_sum(t, *args, **kwargs):
    return t.flatten()[0] * 0


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        Model.calibrate(torch.Tensor)

    def forward(self, x):
        return self.fc(x.flatten(1))

    def calibrate(self):
        self.sum = _zero_sum
