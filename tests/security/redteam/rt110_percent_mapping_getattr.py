# technique: %-formatting with a ParameterDict mapping performs getattr on the format key
# source: issue 12: '%(__dict__)s' % pd
# expect: SV106, SV114
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.pd = nn.ParameterDict({'scale': nn.Parameter(torch.ones(1))})
        self.leak = '%(__dict__)s' % self.pd

    def forward(self, x):
        return self.fc(x.flatten(1))
