"""Residual 1-D convolutional network: deeper than CNN1d at the same cost per sample.

Every block downsamples by 2 with a strided convolution and carries a 1x1 projection on its
skip path, so depth adds receptive field without vanishing gradients.
"""

import torch
import torch.nn.functional as F
from torch import nn


class ResidualBlock1d(nn.Module):
    """Conv(stride 2) -> GroupNorm -> ReLU -> Conv -> GroupNorm, plus a projected skip."""

    def __init__(self, width: int, out: int, kernel_size: int) -> None:
        super().__init__()
        pad = kernel_size // 2
        self.conv1 = nn.Conv1d(width, out, kernel_size, stride=2, padding=pad)
        self.norm1 = nn.GroupNorm(1, out)
        self.conv2 = nn.Conv1d(out, out, kernel_size, padding=pad)
        self.norm2 = nn.GroupNorm(1, out)
        self.skip = nn.Conv1d(width, out, 1, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.norm1(self.conv1(x)))
        h = self.norm2(self.conv2(h))
        return F.relu(h + self.skip(x))


class ResNet1d(nn.Module):
    """A stem convolution, `blocks` residual blocks, global average pooling, a linear head."""

    def __init__(
        self,
        input_shape: tuple[int, ...],
        output_dim: int,
        channels: int = 32,
        blocks: int = 3,
        kernel_size: int = 7,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(input_shape[0], channels, kernel_size, padding=kernel_size // 2),
            nn.GroupNorm(1, channels),
            nn.ReLU(),
        )
        layers = []
        width = channels
        for i in range(blocks):
            out = min(channels * 2 ** ((i + 1) // 2), 256)
            layers.append(ResidualBlock1d(width, out, kernel_size))
            width = out
        self.blocks = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(width, output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.stem(x))
        return self.head(self.dropout(h.mean(dim=2)))
