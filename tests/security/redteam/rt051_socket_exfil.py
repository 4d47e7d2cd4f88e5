# technique: socket connection to exfiltrate data (the container has no network; defense in depth)
# source: smolagents DANGEROUS_MODULES (socket)
# expect: SV101
import math

import torch
from torch import nn
import socket


class Model(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        self.fc = nn.Linear(math.prod(input_shape), output_dim)

    def forward(self, x):
        socket.create_connection(('10.0.0.1', 80))
        return self.fc(x.flatten(1))
