"""MLP-Mixer over time patches built from einops layers and nn.Sequential only."""

from einops.layers.torch import Rearrange, Reduce
from torch import nn


def mixer_block(tokens: int, dim: int, expansion: int = 2, dropout: float = 0.0) -> nn.Module:
    return nn.Sequential(
        PreNormResidual(
            dim,
            nn.Sequential(
                Rearrange("b n d -> b d n"),
                nn.Linear(tokens, tokens * expansion),
                nn.GELU(),
                nn.Dropout(dropout),
                nn.Linear(tokens * expansion, tokens),
                Rearrange("b d n -> b n d"),
            ),
        ),
        PreNormResidual(
            dim,
            nn.Sequential(
                nn.Linear(dim, dim * expansion),
                nn.GELU(),
                nn.Dropout(dropout),
                nn.Linear(dim * expansion, dim),
            ),
        ),
    )


class PreNormResidual(nn.Module):
    def __init__(self, dim, fn):
        super().__init__()
        self.fn = fn
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.fn(self.norm(x)) + x


class TimeMixer(nn.Module):
    def __init__(self, input_shape, output_dim, patch=4, dim=32, depth=2):
        super().__init__()
        channels, length = input_shape
        tokens = length // patch
        self.net = nn.Sequential(
            Rearrange("b c (n p) -> b n (p c)", p=patch),
            nn.Linear(patch * channels, dim),
            *[mixer_block(tokens, dim) for _ in range(depth)],
            nn.LayerNorm(dim),
            Reduce("b n d -> b d", "mean"),
            nn.Linear(dim, output_dim),
        )

    def forward(self, x):
        return self.net(x)
