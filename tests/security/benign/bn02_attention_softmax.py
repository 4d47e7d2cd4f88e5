"""Multi-head self-attention written out by hand, softmax over scaled scores (benign corpus).

Tricky parts: torch.softmax, masked_fill with torch.finfo, transpose/reshape chains,
a `dim ** -0.5` scale, tuple unpacking of tensor shapes.
"""

import math

import torch
import torch.nn as nn


class SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int = 4) -> None:
        super().__init__()
        if dim % heads != 0:
            raise ValueError(f"dim {dim} is not divisible by heads {heads}")
        self.heads = heads
        self.head_dim = dim // heads
        self.scale = self.head_dim**-0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, causal: bool = False) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        scores = (q @ k.transpose(-2, -1)) * self.scale
        if causal:
            mask = torch.triu(torch.ones(n, n, dtype=torch.bool, device=x.device), diagonal=1)
            scores = scores.masked_fill(mask, torch.finfo(scores.dtype).min)
        weights = torch.softmax(scores, dim=-1)
        out = (weights @ v).transpose(1, 2).reshape(b, n, d)
        return self.proj(out)


class AttentionClassifier(nn.Module):
    def __init__(self, input_shape: tuple, output_dim: int, dim: int = 32, heads: int = 4, patch: int = 8):
        super().__init__()
        channels, length = input_shape[0], input_shape[-1]
        self.patch = min(patch, length)
        self.embed = nn.Conv1d(channels, dim, self.patch, stride=self.patch)
        self.attn = SelfAttention(dim, heads)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, output_dim)
        self.temperature = math.sqrt(dim)

    def forward(self, x):
        if x.dim() == 2:
            x = x.unsqueeze(1)
        tokens = self.embed(x).transpose(1, 2)
        tokens = tokens + self.attn(self.norm(tokens))
        pooled = tokens.mean(dim=1)
        return self.head(pooled)
