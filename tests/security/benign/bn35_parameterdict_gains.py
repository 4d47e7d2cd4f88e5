"""Per-branch learnable gains kept in an nn.ParameterDict indexed by literal names."""

import torch
from torch import nn


class TwoPath(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        super().__init__()
        flat = input_shape[0] * input_shape[1]
        self.fast = nn.Linear(flat, hidden)
        self.slow = nn.Sequential(nn.Linear(flat, hidden * 2), nn.Tanh(), nn.Linear(hidden * 2, hidden))
        self.gains = nn.ParameterDict(
            {
                "fast": nn.Parameter(torch.ones(hidden)),
                "slow": nn.Parameter(torch.full((hidden,), 0.5)),
            }
        )
        self.head = nn.Linear(hidden, output_dim)

    def forward(self, x):
        x = x.flatten(1)
        mixed = self.gains["fast"] * self.fast(x) + self.gains["slow"] * self.slow(x)
        norm = sum(p.abs().mean() for p in self.gains.values()) / len(self.gains)
        return self.head(torch.relu(mixed)) / norm.clamp_min(1e-3)
