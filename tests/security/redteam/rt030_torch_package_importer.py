# technique: torch.package.PackageImporter imports code from a package archive
# source: PyTorch torch.package docs (archives contain code)
# expect: SV102
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        self.body = torch.package.PackageImporter('/tmp/p.pt').load_pickle('m', 'm.pkl')

    def forward(self, x):
        return self.fc(x.flatten(1))
