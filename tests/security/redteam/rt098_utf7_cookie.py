# -*- coding: utf-7 -*-
# technique: UTF-7 coding cookie: plus-AAo-minus decodes to a newline, so a comment becomes code at import
# source: PEP 263 encoding declarations; Python UTF-7 source smuggling
# expect: SV001
# harmless comment +AAo-import os+AAo-os.system(+ACI-id+ACI-)
import math

import torch
from torch import nn


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        return self.fc(x.flatten(1))
