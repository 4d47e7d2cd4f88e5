"""Gated convolutions with softmax attention pooling and masking (benign corpus).

Tricky parts: F.glu, torch.sigmoid, masked_fill with -inf from float("-inf"), softmax over
a masked axis, torch.einsum, keepdim reductions, assert statements.
"""

import torch
import torch.nn.functional as F
from torch import nn


class GatedConvPool(nn.Module):
    def __init__(self, input_shape, output_dim, channels: int = 16, layers: int = 2, min_len: int = 4):
        super().__init__()
        assert layers >= 1, "need at least one layer"
        in_channels = input_shape[0] if len(input_shape) > 1 else 1
        self.min_len = min_len
        convs = []
        for i in range(layers):
            convs.append(nn.Conv1d(in_channels if i == 0 else channels, channels * 2, 5, padding=2))
        self.convs = nn.ModuleList(convs)
        self.score = nn.Conv1d(channels, 1, 1)
        self.head = nn.Linear(channels, output_dim)

    def forward(self, x):
        if x.dim() == 2:
            x = x.unsqueeze(1)
        h = x
        for conv in self.convs:
            h = F.glu(conv(h), dim=1)
        logits = self.score(h).squeeze(1)
        valid = torch.arange(h.shape[-1], device=h.device).unsqueeze(0) >= 0
        logits = logits.masked_fill(~valid, float("-inf"))
        weights = torch.softmax(logits, dim=-1)
        pooled = torch.einsum("bct,bt->bc", h, weights)
        gate = torch.sigmoid(pooled.mean(dim=1, keepdim=True))
        return self.head(pooled * gate)
