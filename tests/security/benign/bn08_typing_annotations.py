# ruff: noqa: UP006, UP035, UP037, UP045  (old-style typing on purpose: generated code uses it)
"""GRU encoder with thorough typing annotations (benign corpus).

Tricky parts: from __future__ import annotations, typing Optional/Tuple/List/Dict/Callable,
collections.abc, PEP 604 unions, a string annotation, keyword-only parameters with
defaults, a staticmethod.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

Activation = Callable[[torch.Tensor], torch.Tensor]
ACTIVATIONS: Dict[str, str] = {"relu": "relu", "tanh": "tanh"}


class TypedGRU(nn.Module):
    layer_sizes: List[int]

    def __init__(
        self,
        input_shape: Tuple[int, ...],
        output_dim: int,
        hidden: int = 32,
        *,
        bidirectional: bool = False,
        activation: str = "relu",
        dropout: Optional[float] = None,
    ) -> None:
        super().__init__()
        features = input_shape[0] if len(input_shape) > 1 else 1
        self.gru = nn.GRU(features, hidden, batch_first=True, bidirectional=bidirectional)
        width = hidden * (2 if bidirectional else 1)
        self.drop = nn.Dropout(dropout if dropout is not None else 0.0)
        self.head = nn.Linear(width, output_dim)
        self.activation = activation
        self.layer_sizes = self.sizes((features, width, output_dim))

    @staticmethod
    def sizes(values: Sequence[int]) -> List[int]:
        return [int(v) for v in values]

    @staticmethod
    def as_sequence(x: "torch.Tensor") -> torch.Tensor:
        return x.unsqueeze(-1) if x.dim() == 2 else x.transpose(1, 2)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        seq = self.as_sequence(x)
        out, _ = self.gru(seq)
        last = out[:, -1]
        act: Activation = F.relu if self.activation == "relu" else torch.tanh
        return self.head(self.drop(act(last)))
