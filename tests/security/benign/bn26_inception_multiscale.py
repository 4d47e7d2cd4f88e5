"""Inception-style multi-scale 1-D convolutions with a ModuleDict of branches."""

import torch
from torch import nn


class MultiScale(nn.Module):
    def __init__(self, cin, per_branch=8, kernels=(3, 5, 9)):
        super().__init__()
        self.branches = nn.ModuleDict()
        for k in kernels:
            self.branches[f"k{k}"] = nn.Sequential(
                nn.Conv1d(cin, per_branch, k, padding=k // 2), nn.BatchNorm1d(per_branch), nn.ReLU()
            )
        self.branches["pool"] = nn.Sequential(
            nn.MaxPool1d(3, stride=1, padding=1), nn.Conv1d(cin, per_branch, 1)
        )
        self.out_channels = per_branch * (len(kernels) + 1)

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches.values()], dim=1)


class InceptionNet(nn.Module):
    def __init__(self, input_shape, output_dim, per_branch: int = 8, stages: int = 2):
        super().__init__()
        cin = input_shape[0]
        stack = []
        for _ in range(stages):
            block = MultiScale(cin, per_branch)
            stack.append(block)
            cin = block.out_channels
        self.stages = nn.ModuleList(stack)
        self.fc = nn.Linear(cin, output_dim)

    def forward(self, x):
        for stage in self.stages:
            x = stage(x)
        return self.fc(x.mean(dim=2))
