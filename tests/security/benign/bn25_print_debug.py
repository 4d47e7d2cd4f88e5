"""A plain CNN that prints its feature shape once, the way people debug models."""

import torch
from torch import nn


class DebugCNN(nn.Module):
    def __init__(self, input_shape, output_dim, width=16, verbose=True):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(input_shape[0], width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(width, width * 2, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveMaxPool1d(4),
        )
        self.classifier = nn.Linear(width * 2 * 4, output_dim)
        self.verbose = verbose
        self.printed = False

    def forward(self, x):
        feats = self.features(x)
        if self.verbose and not self.printed:
            print("DebugCNN features:", tuple(feats.shape), "dtype", feats.dtype)
            self.printed = True
        return self.classifier(torch.flatten(feats, 1))
