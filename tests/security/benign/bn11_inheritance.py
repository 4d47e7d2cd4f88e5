"""A shared base class and a registered subclass using two-argument super() (benign corpus).

Tricky parts: forward inherited from a base defined in the file, `super(Cls, self).__init__()`,
name-mangled and single-underscore private helpers defined here, a classic `expansion` attribute.
"""

import torch
import torch.nn as nn


class Backbone(nn.Module):
    expansion = 2

    def __init__(self, in_features: int, hidden: int) -> None:
        super().__init__()
        self.body = self._stack(in_features, hidden)
        self.__calls = 0

    def _stack(self, in_features: int, hidden: int) -> nn.Sequential:
        return nn.Sequential(nn.Linear(in_features, hidden * self.expansion), nn.SiLU())

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x.flatten(1))

    def forward(self, x):
        return self.classify(self.embed(x))

    def classify(self, h: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class SiLUClassifier(Backbone):
    def __init__(self, input_shape, output_dim, hidden: int = 32):
        features = 1
        for size in input_shape:
            features *= size
        super().__init__(features, hidden)
        self.head = nn.Linear(hidden * self.expansion, output_dim)

    def classify(self, h):
        return self.head(h)
