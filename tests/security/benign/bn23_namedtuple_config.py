"""An MLP configured through a typed NamedTuple."""

from typing import NamedTuple

import torch
from torch import nn


class MLPConfig(NamedTuple):
    """Architecture knobs in one typed place."""

    hidden: int = 64
    depth: int = 3
    dropout: float = 0.1
    activation: str = "gelu"
    layer_norm: bool = True


ACTIVATIONS = {"gelu": nn.GELU, "relu": nn.ReLU, "silu": nn.SiLU}


class ConfiguredMLP(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 64, depth: int = 3, activation: str = "gelu"):
        super().__init__()
        cfg = MLPConfig(hidden=hidden, depth=depth, activation=activation)
        self.cfg = cfg
        dim = input_shape[0] * input_shape[1]
        layers = []
        for _ in range(cfg.depth):
            layers += [nn.Linear(dim, cfg.hidden), ACTIVATIONS[cfg.activation]()]
            if cfg.layer_norm:
                layers.append(nn.LayerNorm(cfg.hidden))
            layers.append(nn.Dropout(cfg.dropout))
            dim = cfg.hidden
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(dim, output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(x.reshape(x.shape[0], -1)))
