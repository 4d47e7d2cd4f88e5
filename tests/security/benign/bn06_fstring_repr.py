"""Model whose repr is built with f-strings, %-formatting and a plain-field str.format (benign corpus).

Tricky parts: __repr__ and extra_repr defined in the file, f-string format specs, `%` with
a tuple, `"{}x{}".format(...)` on a literal with positional fields, super().__repr__().
"""

import math

from torch import nn


class PrettyMLP(nn.Module):
    def __init__(self, input_shape, output_dim, hidden: int = 48, dropout: float = 0.25):
        super().__init__()
        self.in_features = math.prod(input_shape)
        self.hidden = hidden
        self.dropout = dropout
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(self.in_features, hidden),
            nn.Tanh(),
            nn.Dropout(dropout),
            nn.Linear(hidden, output_dim),
        )

    def extra_repr(self) -> str:
        return "in=%d, hidden=%d" % (self.in_features, self.hidden)  # noqa: UP031 (on purpose)

    def __repr__(self) -> str:
        shape = f"{self.in_features}x{self.hidden}"
        return (
            f"PrettyMLP({shape}, dropout={self.dropout:.2f}, params={self.count():,})\n{super().__repr__()}"
        )

    def count(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def forward(self, x):
        return self.net(x)
