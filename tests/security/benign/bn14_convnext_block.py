"""ConvNeXt-style 1-D blocks: depthwise conv, layer scale and stochastic depth (benign corpus).

Tricky parts: groups=channels depthwise conv, nn.Parameter(torch.ones(...) * value),
stochastic depth with torch.rand and self.training, permute round trips, conditional expressions.
"""

import torch
from torch import nn


class ConvNeXtBlock(nn.Module):
    def __init__(self, channels: int, drop_path: float = 0.0, layer_scale: float = 1e-6) -> None:
        super().__init__()
        self.dwconv = nn.Conv1d(channels, channels, 7, padding=3, groups=channels)
        self.norm = nn.LayerNorm(channels)
        self.pw1 = nn.Linear(channels, channels * 4)
        self.act = nn.GELU()
        self.pw2 = nn.Linear(channels * 4, channels)
        self.gamma = nn.Parameter(torch.ones(channels) * layer_scale) if layer_scale > 0 else None
        self.drop_path = drop_path

    def forward(self, x):
        residual = x
        h = self.dwconv(x).permute(0, 2, 1)
        h = self.pw2(self.act(self.pw1(self.norm(h))))
        if self.gamma is not None:
            h = h * self.gamma
        h = h.permute(0, 2, 1)
        if self.training and self.drop_path > 0.0:
            keep = 1.0 - self.drop_path
            mask = torch.rand(h.shape[0], 1, 1, device=h.device) < keep
            h = h * mask / keep
        return residual + h


class ConvNeXt1d(nn.Module):
    def __init__(self, input_shape, output_dim, channels: int = 16, depth: int = 2, drop_path: float = 0.1):
        super().__init__()
        in_channels = input_shape[0] if len(input_shape) > 1 else 1
        self.stem = nn.Conv1d(in_channels, channels, 4, stride=4)
        rates = [drop_path * i / max(depth - 1, 1) for i in range(depth)]
        self.stages = nn.Sequential(*[ConvNeXtBlock(channels, rate) for rate in rates])
        self.norm = nn.LayerNorm(channels)
        self.head = nn.Linear(channels, output_dim)

    def forward(self, x):
        if x.dim() == 2:
            x = x.unsqueeze(1)
        h = self.stages(self.stem(x))
        return self.head(self.norm(h.mean(dim=-1)))
