"""1-D convolutional network for (channels, length) signals such as PPG and ECG windows.

Each block halves the length and doubles the channels (capped), so the receptive field grows
fast enough to span several heartbeats; global average and max pooling make the head
independent of the input length.
"""

import torch
from torch import nn


class CNN1d(nn.Module):
    """`depth` blocks of Conv1d -> GroupNorm -> ReLU -> MaxPool(2), then a linear head."""

    def __init__(
        self,
        input_shape: tuple[int, ...],
        output_dim: int,
        channels: int = 32,
        depth: int = 3,
        kernel_size: int = 7,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        layers = []
        width = input_shape[0]
        for i in range(depth):
            out = min(channels * 2**i, 256)
            layers.append(nn.Conv1d(width, out, kernel_size, padding=kernel_size // 2))
            layers.append(nn.GroupNorm(1, out))
            layers.append(nn.ReLU())
            layers.append(nn.MaxPool1d(2, ceil_mode=True))
            width = out
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * width, output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)
        pooled = torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)
        return self.head(self.dropout(pooled))
