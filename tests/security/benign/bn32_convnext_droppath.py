"""ConvNeXt-1d blocks with stochastic depth and layer scale."""

import torch
from torch import nn


class DropPath(nn.Module):
    def __init__(self, p: float = 0.0):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        mask = torch.rand((x.shape[0],) + (1,) * (x.ndim - 1), dtype=x.dtype, device=x.device) < keep
        return x * mask / keep

    def extra_repr(self):
        return f"p={self.p}"


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim, drop_path=0.0, layer_scale=1e-6):
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(layer_scale * torch.ones(dim))
        self.drop_path = DropPath(drop_path)

    def forward(self, x):
        residual = x
        x = self.dwconv(x).permute(0, 2, 1)
        x = self.pwconv2(self.act(self.pwconv1(self.norm(x))))
        x = (self.gamma * x).permute(0, 2, 1)
        return residual + self.drop_path(x)


class ConvNeXt1d(nn.Module):
    def __init__(self, input_shape, output_dim, dims=(16, 32), depths=(1, 2), drop_path_rate=0.1):
        super().__init__()
        rates = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        self.stages = nn.ModuleList()
        cin = input_shape[0]
        cursor = 0
        for dim, depth in zip(dims, depths, strict=True):
            layers = [nn.Conv1d(cin, dim, 2, stride=2)]
            layers += [ConvNeXtBlock(dim, rates[cursor + j]) for j in range(depth)]
            self.stages.append(nn.Sequential(*layers))
            cursor += depth
            cin = dim
        self.norm = nn.LayerNorm(cin)
        self.head = nn.Linear(cin, output_dim)

    def forward(self, x):
        for stage in self.stages:
            x = stage(x)
        return self.head(self.norm(x.mean(-1)))
