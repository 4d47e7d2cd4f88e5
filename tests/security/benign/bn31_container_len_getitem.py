"""A stack of residual blocks that behaves like a list (len, indexing, iteration)."""

from torch import nn


class Residual(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.ff = nn.Sequential(
            nn.Linear(dim, dim * 2), nn.GELU(), nn.Dropout(dropout), nn.Linear(dim * 2, dim)
        )

    def forward(self, x):
        return x + self.ff(self.norm(x))


class BlockStack(nn.Module):
    def __init__(self, dim, depth):
        super().__init__()
        self.blocks = nn.ModuleList([Residual(dim) for _ in range(depth)])

    def __len__(self):
        return len(self.blocks)

    def __getitem__(self, index):
        return self.blocks[index]

    def __iter__(self):
        return iter(self.blocks)

    def forward(self, x):
        for block in self:
            x = block(x)
        return x


class StackedMLP(nn.Module):
    def __init__(self, input_shape, output_dim, dim=48, depth=3):
        super().__init__()
        self.proj = nn.Linear(input_shape[0] * input_shape[1], dim)
        self.stack = BlockStack(dim, depth)
        self.head = nn.Linear(dim, output_dim)

    def extra_repr(self):
        return f"depth={len(self.stack)}"

    def forward(self, x):
        h = self.stack(self.proj(x.flatten(1)))
        return self.head(h + self.stack[0](h) * 0.0)
