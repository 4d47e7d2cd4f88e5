"""Scale the learning rate down: the usual cause of divergence and oscillation is too large a step."""

from __future__ import annotations

from sentinel.monitor.actions._base import Action, ActionContext
from sentinel.monitor.actions._momentum import shorten_momentum
from sentinel.monitor.protocol import TrainingControl

__all__ = ["LrCutAction"]


class LrCutAction(Action):
    name = "lr_cut"
    cost = 0.1
    summary = (
        "multiply the LR (and the schedule's base) by factor < 1; undoes a sudden LR jump exactly; "
        "with `momentum`, also divide the momentum horizon 1/(1-m) by it"
    )

    def apply(self, ctl: TrainingControl, params: dict[str, float], ctx: ActionContext) -> dict[str, float]:
        factor = float(params["factor"])
        if not 0 < factor < 1:
            raise ValueError(f"lr_cut factor must be in (0, 1), got {factor}")
        ctl.scale_lr(factor)
        out = {"factor": factor, "lr": float(ctl.lr)}
        cut = float(params.get("momentum", 0.0))
        if cut > 1:
            out["momentum"] = shorten_momentum(ctl.optimizer, cut, ctx.snapshots.momentum_caps)
        return out
