# technique: subclass walking: ().__class__.__mro__[1].__subclasses__() to find a class whose __init__.__globals__ holds os
# source: smolagents CVE-2025-9959 (class hierarchy traversal to subprocess.Popen); RestrictedPython issue #142
# expect: SV104
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        classes = ().__class__.__mro__[1].__subclasses__()
        return self.fc(x.flatten(1))
