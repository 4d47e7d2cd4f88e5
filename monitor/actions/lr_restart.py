"""Warm restart for a plateau: raise the LR when updates are too small to move the weights."""

from __future__ import annotations

from sentinel.monitor.actions._base import Action, ActionContext
from sentinel.sandbox.runtime.hooks import TrainingControl

__all__ = ["LrRestartAction"]


class LrRestartAction(Action):
    name = "lr_restart"
    cost = 0.1
    summary = "multiply the LR by factor > 1, sized so the update/weight ratio reaches its target"

    def apply(self, ctl: TrainingControl, params: dict[str, float], ctx: ActionContext) -> dict[str, float]:
        factor = float(params["factor"])
        if factor <= 1:
            raise ValueError(f"lr_restart factor must be > 1, got {factor}")
        ctl.scale_lr(factor)
        return {"factor": factor, "lr": float(ctl.lr)}
