"""Multi-layer perceptron over the flattened input: the baseline every campaign starts from.

Built-in models follow the tier-3 policy (imports of torch, torch.nn, torch.nn.functional,
math and typing only; no dunder tricks, no getattr, no file IO) so the validator can check
them like generated code.
"""

import math

import torch
from torch import nn


class MLP(nn.Module):
    """`depth` hidden layers of width `hidden`, each Linear -> activation -> dropout."""

    def __init__(
        self,
        input_shape: tuple[int, ...],
        output_dim: int,
        hidden: int = 128,
        depth: int = 2,
        dropout: float = 0.0,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        activations = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "silu": nn.SiLU}
        layers = []
        width = math.prod(input_shape)
        for _ in range(depth):
            layers.append(nn.Linear(width, hidden))
            layers.append(activations[activation]())
            layers.append(nn.Dropout(dropout))
            width = hidden
        layers.append(nn.Linear(width, output_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(torch.flatten(x, 1))
