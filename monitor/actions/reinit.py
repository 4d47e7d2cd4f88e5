"""Re-initialise the model: when even the healthy snapshot cannot be trained from, start over
(with a smaller LR when divergence brought us here, the same LR for a plateau)."""

from __future__ import annotations

from sentinel.monitor.actions._base import Action, ActionContext
from sentinel.monitor.protocol import TrainingControl

__all__ = ["ReinitAction"]


class ReinitAction(Action):
    name = "reinit"
    cost = 0.5
    summary = "re-initialise parameters and optimizer state, reset the windows, LR x factor"
    drops_step = True

    def apply(self, ctl: TrainingControl, params: dict[str, float], ctx: ActionContext) -> dict[str, float]:
        self._drop_step(ctl, ctx)
        ctl.reinit_model()
        factor = float(params.get("factor", 1.0))
        if factor != 1.0:
            ctl.scale_lr(factor)
        ctx.window.reset()  # the old history describes a model that no longer exists
        ctx.snapshots.take(ctl, ctx.window, initial=True)
        return {"factor": factor, "lr": float(ctl.lr)}
