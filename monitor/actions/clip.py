"""Clip the gradient to a multiple of the run's healthy median norm: keep the direction, drop the
blow-up. Cheaper than skipping when the batch is fine but the magnitude is not."""

from __future__ import annotations

from sentinel.monitor.actions._base import Action, ActionContext
from sentinel.monitor.protocol import TrainingControl

__all__ = ["ClipAction"]


class ClipAction(Action):
    name = "clip"
    cost = 0.0
    summary = (
        "clip the global gradient norm to clip_factor x the healthy median norm "
        "(clip_factor_adaptive x under Adam-like optimizers)"
    )

    def apply(self, ctl: TrainingControl, params: dict[str, float], ctx: ActionContext) -> dict[str, float]:
        max_norm = float(params["max_norm"])
        before = float(ctl.clip_grad_norm(max_norm))
        ctx.window.flag_last()
        return {"max_norm": max_norm, "grad_norm": before}
