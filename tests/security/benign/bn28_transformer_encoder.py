"""Built-in nn.TransformerEncoder with a sinusoidal positional buffer."""

import math

import torch
from torch import nn


class SinusoidalPosition(nn.Module):
    def __init__(self, dim: int, max_len: int = 512):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, dim, 2) * (-math.log(10000.0) / dim))
        table = torch.zeros(max_len, dim)
        table[:, 0::2] = torch.sin(position * div)
        table[:, 1::2] = torch.cos(position * div)
        self.register_buffer("table", table, persistent=False)

    def forward(self, x):
        return x + self.table[: x.size(1)]


class Encoder(nn.Module):
    def __init__(self, input_shape, output_dim, d_model=32, nhead=4, layers=2, ff=64, dropout=0.1):
        super().__init__()
        self.inp = nn.Linear(input_shape[0], d_model)
        self.pos = SinusoidalPosition(d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, ff, dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.out = nn.Linear(d_model, output_dim)

    def forward(self, x):
        h = self.encoder(self.pos(self.inp(x.transpose(1, 2))))
        return self.out(h.mean(dim=1))
