# technique: bidi override in a comment makes reviewers see different code
# source: CVE-2021-42574 (Trojan Source)
# expect: SV003
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        # check access‮ } ⁦if admin⁩ ⁦ begin admins only
        return self.fc(x.flatten(1))
