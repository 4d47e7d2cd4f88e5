# ruff: noqa: UP045  (Optional on purpose: generated code uses it)
"""CNN front-end + GRU back-end with a numpy-built Hann window applied to the input."""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch
from torch import nn


class CRNN(nn.Module):
    """Conv features, recurrent summary, linear head."""

    def __init__(
        self,
        input_shape: tuple[int, int],
        output_dim: int,
        conv: int = 16,
        hidden: int = 32,
        window: bool = True,
        head_dropout: Optional[float] = 0.1,
    ) -> None:
        super().__init__()
        channels, length = input_shape
        hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(length) / max(length - 1, 1))
        self.register_buffer(
            "window", torch.as_tensor(hann, dtype=torch.float32) if window else torch.ones(length)
        )
        self.conv = nn.Sequential(
            nn.Conv1d(channels, conv, 5, padding=2), nn.BatchNorm1d(conv), nn.ReLU(), nn.MaxPool1d(2)
        )
        self.gru = nn.GRU(conv, hidden, batch_first=True)
        self.drop = nn.Dropout(head_dropout) if head_dropout else nn.Identity()
        self.fc = nn.Linear(hidden, output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = self.conv(x * self.window).transpose(1, 2)
        _, last = self.gru(feats)
        return self.fc(self.drop(last[-1]))
