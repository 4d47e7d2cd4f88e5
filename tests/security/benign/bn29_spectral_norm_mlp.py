# ruff: noqa: B905, RUF007  (itertools is not importable in a model file)
"""Lipschitz-constrained MLP: spectral-normalised linear layers via parametrizations."""

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class SNLinearBlock(nn.Module):
    def __init__(self, din, dout):
        super().__init__()
        self.lin = spectral_norm(nn.Linear(din, dout))
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x):
        return self.act(self.lin(x))


class LipschitzMLP(nn.Module):
    def __init__(self, input_shape, output_dim, hidden=64, depth=2):
        super().__init__()
        dims = [input_shape[0] * input_shape[1]] + [hidden] * depth
        self.layers = nn.ModuleList(SNLinearBlock(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.head = spectral_norm(nn.Linear(dims[-1], output_dim), name="weight")

    def forward(self, x):
        h = x.flatten(start_dim=1)
        for layer in self.layers:
            h = layer(h)
        return self.head(h)
