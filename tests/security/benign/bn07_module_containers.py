"""Multi-branch network using ModuleList, ModuleDict and Sequential (benign corpus).

Tricky parts: a dict comprehension building a ModuleDict, iterating .items(), nn.Identity,
torch.cat over a list comprehension, sorted() and zip() over branches.
"""

import torch
import torch.nn as nn

BRANCH_KERNELS = {"short": 3, "medium": 7, "long": 15}


class MultiBranch(nn.Module):
    def __init__(self, input_shape, output_dim, channels: int = 8, use_skip: bool = True, **params):
        super().__init__()
        in_channels = input_shape[0] if len(input_shape) > 1 else 1
        self.branches = nn.ModuleDict(
            {
                name: nn.Sequential(nn.Conv1d(in_channels, channels, k, padding=k // 2), nn.ReLU())
                for name, k in sorted(BRANCH_KERNELS.items())
            }
        )
        self.skip = nn.Conv1d(in_channels, channels, 1) if use_skip else nn.Identity()
        self.mixers = nn.ModuleList([nn.Conv1d(channels, channels, 1) for _ in BRANCH_KERNELS])
        self.pool = nn.AdaptiveMaxPool1d(1)
        self.head = nn.Linear(channels * (len(BRANCH_KERNELS) + 1), output_dim)

    def forward(self, x):
        if x.dim() == 2:
            x = x.unsqueeze(1)
        outs = [
            mixer(branch(x)) for (_, branch), mixer in zip(self.branches.items(), self.mixers, strict=True)
        ]
        outs.append(self.skip(x))
        h = torch.cat([self.pool(o).flatten(1) for o in outs], dim=1)
        return self.head(h)
