"""Temporal convolutional network with weight-normalised causal convolutions."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class CausalConv(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.left = (kernel - 1) * dilation
        self.conv = nn.utils.weight_norm(nn.Conv1d(cin, cout, kernel, dilation=dilation))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, (self.left, 0)))


class TemporalBlock(nn.Module):
    def __init__(self, cin, cout, kernel, dilation, dropout):
        super().__init__()
        self.conv1 = CausalConv(cin, cout, kernel, dilation)
        self.conv2 = CausalConv(cout, cout, kernel, dilation)
        self.drop = nn.Dropout(dropout)
        self.skip = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x):
        h = self.drop(F.relu(self.conv1(x)))
        h = self.drop(F.relu(self.conv2(h)))
        return F.relu(h + self.skip(x))


class TCN(nn.Module):
    def __init__(
        self,
        input_shape,
        output_dim,
        channels: int = 24,
        levels: int = 4,
        kernel: int = 3,
        dropout: float = 0.1,
    ):
        super().__init__()
        layers = []
        cin = input_shape[0]
        for level in range(levels):
            layers.append(TemporalBlock(cin, channels, kernel, 2**level, dropout))
            cin = channels
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(channels, output_dim)

    def forward(self, x):
        return self.head(self.body(x)[:, :, -1])
