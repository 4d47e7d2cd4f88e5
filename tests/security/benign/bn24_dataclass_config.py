"""Depthwise-separable CNN whose defaults live in a frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ConvSpec:
    width: int = 32
    blocks: int = 3
    kernel: int = 5
    expansion: int = 2
    dropout: float = 0.05


class DepthwiseSeparable(nn.Module):
    def __init__(self, channels: int, kernel: int, expansion: int) -> None:
        super().__init__()
        inner = channels * expansion
        self.dw = nn.Conv1d(channels, channels, kernel, padding=kernel // 2, groups=channels)
        self.pw1 = nn.Conv1d(channels, inner, 1)
        self.pw2 = nn.Conv1d(inner, channels, 1)
        self.norm = nn.BatchNorm1d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pw2(torch.relu(self.pw1(self.norm(self.dw(x)))))


class SeparableCNN(nn.Module):
    def __init__(
        self, input_shape: tuple[int, ...], output_dim: int, width: int = 32, blocks: int = 3
    ) -> None:
        super().__init__()
        spec = ConvSpec(width=width, blocks=blocks)
        self.stem = nn.Conv1d(input_shape[0], spec.width, 1)
        self.blocks = nn.Sequential(
            *[DepthwiseSeparable(spec.width, spec.kernel, spec.expansion) for _ in range(spec.blocks)]
        )
        self.drop = nn.Dropout(spec.dropout)
        self.head = nn.Linear(spec.width, output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.blocks(self.stem(x)).mean(-1)))
