# ruff: noqa: UP006, UP035, UP045, UP008  (old-style typing and super(Cls, self) on purpose: generated code uses them)
"""LSTM encoder with additive attention pooling and Optional annotations."""

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn


class AdditiveAttention(nn.Module):
    def __init__(self, dim: int, attn_dim: int = 32):
        super().__init__()
        self.proj = nn.Linear(dim, attn_dim)
        self.score = nn.Linear(attn_dim, 1, bias=False)

    def forward(
        self, h: torch.Tensor, mask: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        logits = self.score(torch.tanh(self.proj(h))).squeeze(-1)
        if mask is not None:
            logits = logits.masked_fill(~mask, float("-inf"))
        weights = F.softmax(logits, dim=1)
        return torch.einsum("bt,btd->bd", weights, h), weights


class LSTMAttn(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 40, dropout: float = 0.2):
        super(LSTMAttn, self).__init__()
        self.lstm = nn.LSTM(input_shape[0], hidden, batch_first=True)
        self.attn = AdditiveAttention(hidden)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden, output_dim)

    def forward(self, x: torch.Tensor, lengths: Optional[torch.Tensor] = None) -> torch.Tensor:
        h, (_, _) = self.lstm(x.permute(0, 2, 1))
        mask = None
        if lengths is not None:
            steps = torch.arange(h.shape[1], device=h.device)
            mask = steps.unsqueeze(0) < lengths.unsqueeze(1)
        context, _ = self.attn(h, mask)
        return self.fc(self.drop(context))
