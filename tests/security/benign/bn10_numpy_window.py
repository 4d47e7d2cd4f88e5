"""1-D CNN with a numpy-built Hann window applied as a fixed buffer (benign corpus).

Tricky parts: numpy imported as np, np.cos/np.arange/np.pi, torch.from_numpy, .astype on an
array, register_buffer, F.conv1d/F.max_pool1d with keyword args.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class WindowedCNN(nn.Module):
    def __init__(self, input_shape, output_dim, channels: int = 16, kernel_size: int = 9):
        super().__init__()
        in_channels = input_shape[0] if len(input_shape) > 1 else 1
        length = input_shape[-1]
        n = np.arange(length)
        window = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / max(length - 1, 1))
        self.register_buffer("window", torch.from_numpy(window.astype(np.float32)))
        self.conv = nn.Conv1d(in_channels, channels, kernel_size, padding=kernel_size // 2)
        self.weight = nn.Parameter(torch.randn(channels, channels, 3) * 0.1)
        self.head = nn.Linear(channels, output_dim)

    def forward(self, x):
        if x.dim() == 2:
            x = x.unsqueeze(1)
        h = F.relu(self.conv(x * self.window))
        h = F.conv1d(h, self.weight, padding=1)
        h = F.max_pool1d(h, kernel_size=2, ceil_mode=True)
        return self.head(h.amax(dim=-1))
