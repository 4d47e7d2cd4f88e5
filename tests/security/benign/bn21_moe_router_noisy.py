"""Noisy top-1 mixture-of-experts router with a load-balancing auxiliary statistic."""

import torch
import torch.nn.functional as F
from torch import nn


class FeedForwardExpert(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.w_in = nn.Linear(dim, hidden)
        self.w_out = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.w_out(F.silu(self.w_in(x)))


class NoisyRouter(nn.Module):
    def __init__(self, dim, num_experts, noise=1.0):
        super().__init__()
        self.gate = nn.Linear(dim, num_experts, bias=False)
        self.noise = nn.Linear(dim, num_experts, bias=False)
        self.noise_scale = noise

    def forward(self, x):
        logits = self.gate(x)
        if self.training and self.noise_scale > 0:
            logits = logits + torch.randn_like(logits) * F.softplus(self.noise(x)) * self.noise_scale
        probs = logits.softmax(dim=-1)
        top_p, top_i = probs.max(dim=-1)
        return top_p, top_i, probs


class SwitchMLP(nn.Module):
    def __init__(self, input_shape, output_dim, dim: int = 32, num_experts: int = 4, hidden: int = 64):
        super().__init__()
        self.flat = nn.Flatten()
        self.inp = nn.Linear(input_shape[0] * input_shape[1], dim)
        self.router = NoisyRouter(dim, num_experts)
        self.experts = nn.ModuleList([FeedForwardExpert(dim, hidden) for _ in range(num_experts)])
        self.head = nn.Linear(dim, output_dim)
        self.last_balance = 0.0

    def forward(self, x):
        h = self.inp(self.flat(x))
        top_p, top_i, probs = self.router(h)
        out = torch.zeros_like(h)
        for index, expert in enumerate(self.experts):
            chosen = top_i == index
            if chosen.any():
                out[chosen] = expert(h[chosen]) * top_p[chosen].unsqueeze(-1)
        load = F.one_hot(top_i, len(self.experts)).float().mean(0)
        self.last_balance = float((load * probs.mean(0)).sum().detach()) * len(self.experts)
        return self.head(h + out)
