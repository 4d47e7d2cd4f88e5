# technique: compatibility letters that normalise into a dunder: x.__ｃｌａｓｓ__
# source: PEP 3131 (NFKC identifiers); pyjail unicode tricks
# expect: SV003
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        cls = x.__ｃｌａｓｓ__
        return self.fc(x.flatten(1))
