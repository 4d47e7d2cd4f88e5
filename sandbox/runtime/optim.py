"""Optimizers (adamw, sgd) and LR schedules (constant, warmup, cosine, step).

The schedule is a small class of our own rather than a torch LRScheduler: its whole state is
two numbers per param group (`base_lrs`, `t`), so a snapshot restores it exactly and
`scale_lr` (monitor LR cut, lr_spike fault) can rescale the base without fighting a closure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch

__all__ = ["Schedule", "build_optimizer", "lr_factor"]


def build_optimizer(params: Iterable[torch.nn.Parameter], cfg: dict[str, Any]) -> torch.optim.Optimizer:
    """adamw: decoupled weight decay; sgd: momentum (no nesterov), same `weight_decay` key."""
    params = list(params)
    if cfg["optimizer"] == "adamw":
        return torch.optim.AdamW(params, lr=cfg["lr"], weight_decay=cfg["weight_decay"], foreach=True)
    if cfg["optimizer"] == "sgd":
        return torch.optim.SGD(
            params, lr=cfg["lr"], momentum=cfg["momentum"], weight_decay=cfg["weight_decay"], foreach=True
        )
    raise ValueError(f"unknown optimizer {cfg['optimizer']!r}")


def lr_factor(
    kind: str, t: int, total: int, warmup: int, step_size: int, gamma: float, min_ratio: float
) -> float:
    """Multiplier of the base LR for the update with index `t` (0-based) out of `total`.

    Linear warmup over `warmup` updates applies to every kind; `warmup` alone is warmup then
    constant; cosine decays from 1 to `min_ratio` over the updates after warmup; step multiplies
    by `gamma` every `step_size` updates after warmup.
    """
    if warmup > 0 and t < warmup:
        return (t + 1) / warmup
    after = t - warmup
    if kind in ("constant", "warmup"):
        return 1.0
    if kind == "cosine":
        span = max(1, total - warmup)
        progress = min(1.0, after / span)
        return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))
    if kind == "step":
        return gamma ** (after // step_size)
    raise ValueError(f"unknown schedule {kind!r}")


class Schedule:
    """Sets each param group's LR to `base_lr * lr_factor(t)`; `step()` advances `t`."""

    def __init__(self, optimizer: torch.optim.Optimizer, cfg: dict[str, Any], total_steps: int) -> None:
        self.optimizer = optimizer
        self.kind = cfg["schedule"]
        self.total = max(1, total_steps)
        self.warmup = cfg["warmup_steps"]
        self.step_size = cfg["step_size"]
        self.gamma = cfg["gamma"]
        self.min_ratio = cfg["min_lr_ratio"]
        self.base_lrs = [float(group["lr"]) for group in optimizer.param_groups]
        self.t = 0
        self._apply()

    def factor(self) -> float:
        return lr_factor(
            self.kind, self.t, self.total, self.warmup, self.step_size, self.gamma, self.min_ratio
        )

    def step(self) -> None:
        self.t += 1
        self._apply()

    def scale(self, factor: float) -> None:
        """Multiply the base LRs (hence every future LR) and the current ones by `factor`."""
        self.base_lrs = [lr * factor for lr in self.base_lrs]
        self._apply()

    def state_dict(self) -> dict[str, Any]:
        return {"t": self.t, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.t = int(state["t"])
        self.base_lrs = [float(lr) for lr in state["base_lrs"]]
        self._apply()

    def _apply(self) -> None:
        factor = self.factor()
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = base * factor
