"""A small convolutional VAE whose forward returns class logits from the latent mean."""

import math

import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, channels, length, latent):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(channels, 16, 5, stride=2, padding=2),
            nn.SiLU(),
            nn.Conv1d(16, 32, 5, stride=2, padding=2),
            nn.SiLU(),
        )
        flat = 32 * math.ceil(math.ceil(length / 2) / 2)
        self.mu = nn.Linear(flat, latent)
        self.logvar = nn.Linear(flat, latent)

    def forward(self, x):
        h = self.conv(x).flatten(1)
        return self.mu(h), self.logvar(h).clamp(-8.0, 8.0)


class Decoder(nn.Module):
    def __init__(self, latent, channels, length):
        super().__init__()
        self.shape = (channels, length)
        self.net = nn.Sequential(nn.Linear(latent, 64), nn.SiLU(), nn.Linear(64, channels * length))

    def forward(self, z):
        return self.net(z).view(-1, *self.shape)


class VAEClassifier(nn.Module):
    def __init__(self, input_shape, output_dim, latent: int = 8, beta: float = 0.5):
        super().__init__()
        channels, length = input_shape
        self.beta = beta
        self.encoder = Encoder(channels, length, latent)
        self.decoder = Decoder(latent, channels, length)
        self.classifier = nn.Linear(latent, output_dim)

    def reparameterize(self, mu, logvar):
        if not self.training:
            return mu
        return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)

    def elbo_terms(self, x):
        mu, logvar = self.encoder(x)
        recon = self.decoder(self.reparameterize(mu, logvar))
        kl = -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())
        return (recon - x).pow(2).mean(), self.beta * kl

    def forward(self, x):
        mu, _ = self.encoder(x)
        return self.classifier(mu)
