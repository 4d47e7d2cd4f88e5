"""A compact 1-D U-Net used as a feature extractor before a global-pool classifier."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(cin, cout, 3, padding=1),
        nn.GroupNorm(4, cout),
        nn.GELU(),
        nn.Conv1d(cout, cout, 3, padding=1),
        nn.GroupNorm(4, cout),
        nn.GELU(),
    )


class Down(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.pool = nn.MaxPool1d(2)
        self.conv = conv_block(cin, cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pool(x))


class Up(nn.Module):
    def __init__(self, cin: int, skip: int, cout: int) -> None:
        super().__init__()
        self.up = nn.ConvTranspose1d(cin, cin // 2, 2, stride=2)
        self.conv = conv_block(cin // 2 + skip, cout)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.up(x)
        diff = skip.shape[-1] - x.shape[-1]
        if diff:
            x = F.pad(x, (diff // 2, diff - diff // 2))
        return self.conv(torch.cat([skip, x], dim=1))


class UNet1d(nn.Module):
    def __init__(self, input_shape, output_dim, base: int = 8):
        super().__init__()
        c = input_shape[0]
        self.inc = conv_block(c, base)
        self.down1 = Down(base, base * 2)
        self.down2 = Down(base * 2, base * 4)
        self.up1 = Up(base * 4, base * 2, base * 2)
        self.up2 = Up(base * 2, base, base)
        self.head = nn.Linear(base, output_dim)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        y = self.up2(self.up1(x3, x2), x1)
        return self.head(y.mean(dim=-1))
