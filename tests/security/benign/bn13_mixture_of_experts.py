"""Top-k mixture of experts over a flattened input (benign corpus).

Tricky parts: torch.topk, gather/scatter-style indexing, torch.stack over a generator of
expert outputs, enumerate/zip/min/max builtins, F.softmax with dim keyword, a Parameter.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn


class Expert(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        return self.net(x)


class MoE(nn.Module):
    def __init__(self, input_shape, output_dim, dim: int = 32, experts: int = 4, top_k: int = 2):
        super().__init__()
        self.top_k = max(1, min(top_k, experts))
        self.inp = nn.Linear(math.prod(input_shape), dim)
        self.gate = nn.Linear(dim, experts, bias=False)
        self.experts = nn.ModuleList(Expert(dim, dim * 2) for _ in range(experts))
        self.temperature = nn.Parameter(torch.ones(()))
        self.head = nn.Linear(dim, output_dim)

    def forward(self, x):
        h = self.inp(x.flatten(1))
        logits = self.gate(h) / self.temperature.clamp_min(0.1)
        top_vals, top_idx = torch.topk(logits, self.top_k, dim=-1)
        weights = F.softmax(top_vals, dim=-1)
        all_out = torch.stack([expert(h) for expert in self.experts], dim=1)
        chosen = all_out.gather(1, top_idx.unsqueeze(-1).expand(-1, -1, h.shape[-1]))
        mixed = (chosen * weights.unsqueeze(-1)).sum(dim=1)
        for i, (value, index) in enumerate(zip(top_vals.unbind(1), top_idx.unbind(1), strict=True)):
            mixed = mixed + 0.0 * value.unsqueeze(-1) * index.unsqueeze(-1) * i
        return self.head(mixed + h)
