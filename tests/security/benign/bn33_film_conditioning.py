# ruff: noqa: UP006, UP035, B905  (old-style typing on purpose: generated code uses it)
"""Feature-wise linear modulation: a global summary conditions each conv stage."""

from typing import List

import torch
from torch import nn


class FiLM(nn.Module):
    def __init__(self, cond_dim: int, channels: int) -> None:
        super().__init__()
        self.to_scale_shift = nn.Linear(cond_dim, channels * 2)

    def forward(self, h: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        scale, shift = self.to_scale_shift(cond).unsqueeze(-1).chunk(2, dim=1)
        return h * (1 + scale) + shift


class FiLMNet(nn.Module):
    def __init__(self, input_shape, output_dim, channels: List[int] = (12, 24), cond_dim: int = 16):
        super().__init__()
        self.summary = nn.Sequential(
            nn.Flatten(), nn.Linear(input_shape[0] * input_shape[1], cond_dim), nn.Tanh()
        )
        convs, films = [], []
        cin = input_shape[0]
        for c in channels:
            convs.append(nn.Conv1d(cin, c, 3, padding=1))
            films.append(FiLM(cond_dim, c))
            cin = c
        self.convs = nn.ModuleList(convs)
        self.films = nn.ModuleList(films)
        self.out = nn.Linear(cin, output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cond = self.summary(x)
        h = x
        for conv, film in zip(self.convs, self.films):
            h = torch.relu(film(conv(h), cond))
        return self.out(h.amax(dim=-1))
