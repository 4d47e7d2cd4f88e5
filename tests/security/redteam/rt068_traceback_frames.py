# technique: exception traceback to frames: e.__traceback__.tb_frame.f_globals
# source: pyjail write-ups; RestrictedPython INSPECT_ATTRIBUTES (tb_frame)
# expect: SV104
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        try:
            1 / 0
        except ZeroDivisionError as e:
            g = e.__traceback__.tb_frame.f_globals
        return self.fc(x.flatten(1))
