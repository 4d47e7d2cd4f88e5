"""Bidirectional GRU classifier exposing a few read-only properties."""

import torch
from torch import nn


class GRUClassifier(nn.Module):
    def __init__(self, input_shape, output_dim, hidden=48, layers=2, bidirectional=True):
        super().__init__()
        self._hidden = hidden
        self._directions = 2 if bidirectional else 1
        self.rnn = nn.GRU(
            input_shape[0],
            hidden,
            num_layers=layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=0.1 if layers > 1 else 0.0,
        )
        self.norm = nn.LayerNorm(self.feature_size)
        self.out = nn.Linear(self.feature_size, output_dim)

    @property
    def feature_size(self) -> int:
        return self._hidden * self._directions

    @property
    def is_bidirectional(self) -> bool:
        return self._directions == 2

    def forward(self, x):
        seq, _ = self.rnn(x.transpose(1, 2))
        pooled = torch.cat([seq.mean(dim=1), seq.amax(dim=1)], dim=-1)
        pooled = pooled[:, : self.feature_size] + pooled[:, self.feature_size :]
        return self.out(self.norm(pooled))
