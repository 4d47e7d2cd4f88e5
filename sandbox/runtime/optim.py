"""Optimizers (adamw, sgd) and LR schedules (constant, warmup, cosine, step).

The schedule is a small class of our own rather than a torch LRScheduler: its whole state is
a few numbers (`base_lrs`, `t`, the re-plan point), so a snapshot restores it exactly and
`scale_lr` (monitor LR cut, lr_spike fault) can rescale the base without fighting a closure.
It also answers what the *configured* schedule would give (`planned_lr`, `peak_lr`), so a
monitor can tell a rescaled LR from the schedule's own moves, and `replan` restarts the decay
from a new peak over the remaining updates (a plateau's warm restart).
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
        self.plan_lrs = list(self.base_lrs)  # the configured base LRs: never rescaled
        self.t = 0
        self.origin = 0  # update index where the current plan starts (0, or the last replan)
        self._apply()

    def factor(self, t: int | None = None) -> float:
        """The schedule's multiplier for update `t` (default: the current one) under the current
        plan; after a `replan` the plan has no warm-up and spans the remaining updates."""
        t = self.t if t is None else t
        if self.origin == 0:
            return lr_factor(
                self.kind, t, self.total, self.warmup, self.step_size, self.gamma, self.min_ratio
            )
        span = max(1, self.total - self.origin)
        return lr_factor(self.kind, t - self.origin, span, 0, self.step_size, self.gamma, self.min_ratio)

    def planned_lr(self) -> float:
        """The first group's LR under the plan with the configured base: what the schedule would
        give now had nothing (fault, monitor) rescaled it."""
        return self.plan_lrs[0] * self.factor()

    def peak_lr(self) -> float:
        """The configured schedule's highest LR (every kind's factor peaks at 1)."""
        return self.plan_lrs[0]

    def replan(self, lr: float) -> None:
        """Set the LR to `lr` now and run the schedule's decay again from here to the planned
        end, with `lr` as its new peak (group ratios kept). The configured plan is rescaled with
        it, so `planned_lr` keeps meaning "the schedule as now intended"."""
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"replan needs a finite LR > 0, got {lr}")
        ratio = lr / self.base_lrs[0] if self.base_lrs[0] > 0 else 1.0
        self.plan_lrs = [p * lr / self.plan_lrs[0] for p in self.plan_lrs] if self.plan_lrs[0] > 0 else [lr]
        self.base_lrs = [b * ratio for b in self.base_lrs]
        self.origin = self.t
        self._apply()

    def step(self) -> None:
        self.t += 1
        self._apply()

    def scale(self, factor: float) -> None:
        """Multiply the base LRs (hence every future LR) and the current ones by `factor`."""
        self.base_lrs = [lr * factor for lr in self.base_lrs]
        self._apply()

    def state_dict(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "base_lrs": list(self.base_lrs),
            "plan_lrs": list(self.plan_lrs),
            "origin": self.origin,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.t = int(state["t"])
        self.base_lrs = [float(lr) for lr in state["base_lrs"]]
        self.plan_lrs = [float(lr) for lr in state.get("plan_lrs", self.plan_lrs)]
        self.origin = int(state.get("origin", 0))
        self._apply()

    def _apply(self) -> None:
        factor = self.factor()
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = base * factor
