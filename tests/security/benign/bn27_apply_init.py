"""ResMLP with weights initialised through self.apply and a private helper."""

import math

import torch
from torch import nn


class Affine(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(dim))
        self.beta = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        return x * self.alpha + self.beta


class ResMLPBlock(nn.Module):
    def __init__(self, tokens, dim, layerscale=0.1):
        super().__init__()
        self.pre1 = Affine(dim)
        self.token_mix = nn.Linear(tokens, tokens)
        self.pre2 = Affine(dim)
        self.channel_mix = nn.Sequential(nn.Linear(dim, dim * 2), nn.GELU(), nn.Linear(dim * 2, dim))
        self.ls1 = nn.Parameter(torch.full((dim,), layerscale))
        self.ls2 = nn.Parameter(torch.full((dim,), layerscale))

    def forward(self, x):
        x = x + self.ls1 * self.token_mix(self.pre1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.ls2 * self.channel_mix(self.pre2(x))


class ResMLP(nn.Module):
    def __init__(self, input_shape, output_dim, dim=24, depth=3):
        super().__init__()
        channels, length = input_shape
        self.embed = nn.Linear(channels, dim)
        self.blocks = nn.Sequential(*[ResMLPBlock(length, dim) for _ in range(depth)])
        self.head = nn.Linear(dim, output_dim)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            nn.init.trunc_normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, x):
        h = self.blocks(self.embed(x.transpose(1, 2)))
        return self.head(h.mean(1)) / math.sqrt(1.0)
