"""Patch transformer with hand-written multi-head attention using einops."""

import math

import torch
from einops import rearrange, repeat
from einops.layers.torch import Rearrange
from torch import nn


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, dim, heads=4, dropout=0.0):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.proj = nn.Linear(dim, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (rearrange(t, "b n (h d) -> b h n d", h=self.heads) for t in (q, k, v))
        attn = (q @ k.transpose(-2, -1)) * self.scale
        out = self.drop(attn.softmax(dim=-1)) @ v
        return self.proj(rearrange(out, "b h n d -> b n (h d)"))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio=2.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiHeadSelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchTransformer(nn.Module):
    def __init__(
        self, input_shape, output_dim, patch: int = 4, dim: int = 32, depth: int = 2, heads: int = 4
    ):
        super().__init__()
        channels, length = input_shape
        patches = length // patch
        self.embed = nn.Sequential(
            Rearrange("b c (n p) -> b n (p c)", p=patch), nn.Linear(patch * channels, dim)
        )
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, patches + 1, dim) / math.sqrt(dim))
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, output_dim)

    def forward(self, x):
        tokens = self.embed(x)
        cls = repeat(self.cls, "1 1 d -> b 1 d", b=tokens.shape[0])
        h = torch.cat([cls, tokens], dim=1) + self.pos[:, : tokens.shape[1] + 1]
        for block in self.blocks:
            h = block(h)
        return self.head(self.norm(h)[:, 0])
