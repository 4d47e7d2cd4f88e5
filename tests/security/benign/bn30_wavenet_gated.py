"""WaveNet-style gated dilated convolutions with skip connections summed over layers."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class GatedResidual(nn.Module):
    def __init__(self, residual: int, skip: int, dilation: int) -> None:
        super().__init__()
        self.dilation = dilation
        self.filter = nn.Conv1d(residual, residual, 2, dilation=dilation)
        self.gate = nn.Conv1d(residual, residual, 2, dilation=dilation)
        self.res = nn.Conv1d(residual, residual, 1)
        self.skip = nn.Conv1d(residual, skip, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        padded = F.pad(x, (self.dilation, 0))
        z = torch.tanh(self.filter(padded)) * torch.sigmoid(self.gate(padded))
        return x + self.res(z), self.skip(z)


class WaveNetClassifier(nn.Module):
    def __init__(
        self,
        input_shape,
        output_dim,
        residual: int = 16,
        skip: int = 32,
        cycles: int = 2,
        layers_per_cycle: int = 4,
    ) -> None:
        super().__init__()
        self.inp = nn.Conv1d(input_shape[0], residual, 1)
        self.layers = nn.ModuleList(
            GatedResidual(residual, skip, 2**i) for _ in range(cycles) for i in range(layers_per_cycle)
        )
        self.post = nn.Sequential(nn.ReLU(), nn.Conv1d(skip, skip, 1), nn.ReLU())
        self.fc = nn.Linear(skip, output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inp(x)
        total = 0
        for layer in self.layers:
            h, s = layer(h)
            total = total + s
        return self.fc(self.post(total).mean(-1))
