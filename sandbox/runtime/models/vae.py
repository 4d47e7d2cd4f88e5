"""Variational autoencoder for flattened inputs in [0, 1] (Bernoulli decoder, Gaussian latent).

`forward` returns (logits, mu, logvar); the trainer turns them into the reconstruction loss
(binary cross-entropy summed over features) plus the KL term, both per sample. In eval mode the
decoder reads the posterior mean, so validation does not depend on sampling noise.
"""

import math

import torch
from torch import nn


class VAE(nn.Module):
    """Encoder D -> hidden -> (mu, logvar) of size `latent_dim`; decoder mirrors it."""

    def __init__(
        self,
        input_shape: tuple[int, ...],
        output_dim: int,
        latent_dim: int = 16,
        hidden: int = 256,
    ) -> None:
        super().__init__()
        width = math.prod(input_shape)
        self.encoder = nn.Sequential(nn.Linear(width, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent_dim)
        self.logvar = nn.Linear(hidden, latent_dim)
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, output_dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.encoder(torch.flatten(x, 1))
        mu = self.mu(h)
        logvar = self.logvar(h)
        z = mu
        if self.training:
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decoder(z), mu, logvar
