"""Residual MLP: pre-norm blocks with a skip connection around each (benign corpus).

Tricky parts: a helper block class used by the registered class, dropout defaults, math.prod.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn


class ResidualBlock(nn.Module):
    def __init__(self, dim: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, dim * 2)
        self.fc2 = nn.Linear(dim * 2, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc2(self.drop(F.gelu(self.fc1(self.norm(x)))))
        return x + h


class ResidualMLP(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 64, depth: int = 3, dropout: float = 0.1):
        super().__init__()
        self.stem = nn.Linear(math.prod(input_shape), hidden)
        self.blocks = nn.Sequential(*[ResidualBlock(hidden, dropout) for _ in range(depth)])
        self.head = nn.Linear(hidden, output_dim)

    def forward(self, x):
        x = self.stem(x.flatten(1))
        x = self.blocks(x)
        return self.head(F.relu(x))
