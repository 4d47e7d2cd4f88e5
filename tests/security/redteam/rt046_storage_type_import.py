# technique: Storage.type('pkg.mod.attr') imports a module by dotted name (torch._utils._import_dotted_name)
# source: PyTorch torch/_utils.py _type/_import_dotted_name
# expect: SV105
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        x.untyped_storage().type('antigravity.geohash')
        return self.fc(x.flatten(1))
