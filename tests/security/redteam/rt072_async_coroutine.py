# technique: async method: coroutine objects carry cr_frame
# source: simpleeval issue #138 (coroutine cr_frame)
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

    async def steps(self):
        return self
