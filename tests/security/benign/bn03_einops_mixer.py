"""MLP-Mixer over signal patches with einops (benign corpus).

Tricky parts: einops.rearrange/repeat with pattern strings, einops.layers.torch.Rearrange
inside nn.Sequential, keyword arguments to rearrange.
"""

import einops
import torch
from einops import rearrange, repeat
from einops.layers.torch import Rearrange
from torch import nn


class MixerBlock(nn.Module):
    def __init__(self, tokens: int, dim: int, expansion: int = 2) -> None:
        super().__init__()
        self.token_norm = nn.LayerNorm(dim)
        self.token_mix = nn.Sequential(
            Rearrange("b n d -> b d n"),
            nn.Linear(tokens, tokens * expansion),
            nn.GELU(),
            nn.Linear(tokens * expansion, tokens),
            Rearrange("b d n -> b n d"),
        )
        self.channel_norm = nn.LayerNorm(dim)
        self.channel_mix = nn.Sequential(
            nn.Linear(dim, dim * expansion), nn.GELU(), nn.Linear(dim * expansion, dim)
        )

    def forward(self, x):
        x = x + self.token_mix(self.token_norm(x))
        return x + self.channel_mix(self.channel_norm(x))


class PatchMixer(nn.Module):
    def __init__(self, input_shape, output_dim, patch: int = 4, dim: int = 32, depth: int = 2):
        super().__init__()
        channels, length = input_shape[0], input_shape[-1]
        self.patch = patch
        tokens = length // patch
        self.embed = nn.Linear(channels * patch, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.blocks = nn.ModuleList([MixerBlock(tokens + 1, dim) for _ in range(depth)])
        self.head = nn.Linear(dim, output_dim)

    def forward(self, x):
        if x.dim() == 2:
            x = rearrange(x, "b l -> b 1 l")
        patches = rearrange(x, "b c (n p) -> b n (p c)", p=self.patch)
        h = self.embed(patches)
        cls = repeat(self.cls, "1 1 d -> b 1 d", b=h.shape[0])
        h = torch.cat([cls, h], dim=1)
        for block in self.blocks:
            h = block(h)
        return self.head(einops.reduce(h, "b n d -> b d", "mean"))
