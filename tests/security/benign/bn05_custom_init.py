"""CNN with hand-rolled weight initialisation (benign corpus).

Tricky parts: self.apply with a private method defined in the file, isinstance over
torch.nn classes, nn.init kaiming/xavier/zeros_/constant_, a @torch.no_grad() decorated
helper and a `with torch.no_grad():` block, in-place tensor methods.
"""

import torch
from torch import nn


class InitCNN(nn.Module):
    def __init__(self, input_shape, output_dim, channels: int = 16, kernel_size: int = 5, gain: float = 1.0):
        super().__init__()
        in_channels = input_shape[0] if len(input_shape) > 1 else 1
        self.gain = gain
        self.features = nn.Sequential(
            nn.Conv1d(in_channels, channels, kernel_size, padding=kernel_size // 2),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
            nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2),
            nn.AdaptiveAvgPool1d(1),
        )
        self.head = nn.Linear(channels, output_dim)
        self.apply(self._init_weights)
        self._zero_head()

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Conv1d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, (nn.BatchNorm1d, nn.LayerNorm)):
            nn.init.constant_(module.weight, 1.0)
            nn.init.constant_(module.bias, 0.0)
        elif isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight, gain=self.gain)

    @torch.no_grad()
    def _zero_head(self) -> None:
        self.head.bias.zero_()

    def forward(self, x):
        if x.dim() == 2:
            x = x.unsqueeze(1)
        with torch.no_grad():
            scale = x.abs().amax(dim=-1, keepdim=True).clamp_min(1e-6)
        return self.head(self.features(x / scale).squeeze(-1))
