# technique: torch.utils.cpp_extension.load_inline compiles and loads C++ at import
# source: PyTorch cpp_extension docs
# expect: SV101
import math

import torch
from torch import nn
from torch.utils.cpp_extension import load_inline


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)
        load_inline('m', cpp_sources='')

    def forward(self, x):
        return self.fc(x.flatten(1))
