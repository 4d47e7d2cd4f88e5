"""Transformer encoder with a sinusoidal positional table kept in a buffer (benign corpus).

Tricky parts: register_buffer (persistent=False), math.log, torch.arange/exp/sin/cos with
slice assignment, nn.TransformerEncoder built from a layer.
"""

import math

import torch
from torch import nn

MAX_LEN = 512


class SinusoidalPositions(nn.Module):
    def __init__(self, dim: int, max_len: int = MAX_LEN) -> None:
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, dim, 2) * (-math.log(10000.0) / dim))
        table = torch.zeros(max_len, dim)
        table[:, 0::2] = torch.sin(position * div)
        table[:, 1::2] = torch.cos(position * div)
        self.register_buffer("table", table.unsqueeze(0), persistent=False)

    def forward(self, x):
        return x + self.table[:, : x.size(1)]


class PositionalTransformer(nn.Module):
    def __init__(self, input_shape, output_dim, d_model: int = 32, nhead: int = 4, layers: int = 2):
        super().__init__()
        self.inp = nn.Linear(input_shape[0] if len(input_shape) > 1 else 1, d_model)
        self.positions = SinusoidalPositions(d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, d_model * 2, 0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, output_dim)

    def forward(self, x):
        if x.dim() == 2:
            x = x.unsqueeze(1)
        h = self.inp(x.transpose(1, 2))
        h = self.encoder(self.positions(h))
        return self.head(h.mean(dim=1))
