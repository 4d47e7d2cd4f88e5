# technique: eleven nested if blocks hide logic and stress recursive walkers
# source: Sentinel brief (nesting depth)
# expect: SV002
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        if x.numel() > 0:
            if x.numel() > 1:
                if x.numel() > 2:
                    if x.numel() > 3:
                        if x.numel() > 4:
                            if x.numel() > 5:
                                if x.numel() > 6:
                                    if x.numel() > 7:
                                        if x.numel() > 8:
                                            if x.numel() > 9:
                                                if x.numel() > 10:
                                                    x = x + 1
        return self.fc(x.flatten(1))
