"""Warm restart for a plateau: raise the LR when updates are too small to move the weights."""

from __future__ import annotations

import math

from sentinel.monitor.actions._base import Action, ActionContext
from sentinel.monitor.protocol import TrainingControl

__all__ = ["LrRestartAction"]


class LrRestartAction(Action):
    """The new LR is at least the schedule's current peak (the LR before its decay, `peak_lr`
    rescaled like the LR), and the schedule's decay is re-planned from it over the remaining
    steps (`replan_lr`): restarting a decayed cosine at a fraction of its peak with few steps
    left cannot make up for a stalled start.

    A restart larger than `lr_jump_ratio` is a new start, not a tweak: the run has barely moved
    from its initial level (that is what made it a plateau), and every statistic gathered so far
    describes steps orders of magnitude smaller. So the window starts over, as after a re-init:
    the new LR's first wild steps get the same warm-up grace as a fresh run's, and the restart is
    not later read as an external LR jump to be undone. A fresh initial snapshot makes the
    restart point (with the new LR) what a later rollback falls back to, so a restart that proves
    too large is retried from here with the LR cut, not from the old, hopeless LR."""

    name = "lr_restart"
    cost = 0.1
    summary = (
        "raise the LR to max(LR x factor, the schedule's current peak) and re-plan the schedule "
        "from there; factor sized so the update/weight ratio reaches its target; above "
        "lr_jump_ratio the window and the initial snapshot start over"
    )

    def apply(self, ctl: TrainingControl, params: dict[str, float], ctx: ActionContext) -> dict[str, float]:
        factor = float(params["factor"])
        if factor <= 1:
            raise ValueError(f"lr_restart factor must be > 1, got {factor}")
        lr = float(ctl.lr)
        target = lr * factor
        planned, peak = _ask(ctl, "planned_lr"), _ask(ctl, "peak_lr")
        if math.isfinite(planned) and math.isfinite(peak) and planned > 0:
            target = max(target, lr * peak / planned)  # the peak, rescaled as the LR is
        replan = getattr(ctl, "replan_lr", None)
        if callable(replan):
            replan(target)
        else:
            ctl.scale_lr(target / lr)
        factor = target / lr
        fresh = factor > ctx.config.lr_jump_ratio
        if fresh:
            ctl.optimizer.state.clear()
            ctx.window.reset()
            ctx.snapshots.take(ctl, ctx.window, initial=True)
        return {"factor": factor, "lr": float(ctl.lr), "fresh_start": 1.0 if fresh else 0.0}


def _ask(ctl: TrainingControl, name: str) -> float:
    method = getattr(ctl, name, None)
    return float(method()) if callable(method) else math.nan
