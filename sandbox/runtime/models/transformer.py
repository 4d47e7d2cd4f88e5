"""Small Transformer encoder over patches of a 1-D signal (a ViT-style tokeniser).

Non-overlapping patches become tokens through one strided convolution; a learned position
embedding, pre-norm encoder layers and mean pooling keep it small enough for CPU training.
"""

import torch
from torch import nn


class TransformerEncoder1d(nn.Module):
    """Patchify -> position embedding -> `layers` encoder layers -> mean -> LayerNorm -> head."""

    def __init__(
        self,
        input_shape: tuple[int, ...],
        output_dim: int,
        d_model: int = 64,
        nhead: int = 4,
        layers: int = 2,
        dim_feedforward: int = 128,
        patch_size: int = 8,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        channels, length = input_shape[0], input_shape[-1]
        patch = min(patch_size, length)
        tokens = length // patch
        heads = nhead if d_model % nhead == 0 else 1
        self.embed = nn.Conv1d(channels, d_model, patch, stride=patch)
        self.position = nn.Parameter(torch.zeros(1, tokens, d_model))
        nn.init.normal_(self.position, std=0.02)
        layer = nn.TransformerEncoderLayer(
            d_model, heads, dim_feedforward, dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x).transpose(1, 2) + self.position
        h = self.encoder(h)
        return self.head(self.norm(h.mean(dim=1)))
