"""Drop this step: the batch (or its loss) is poison, so its gradients must never reach the weights."""

from __future__ import annotations

from sentinel.monitor.actions._base import Action, ActionContext
from sentinel.monitor.protocol import TrainingControl

__all__ = ["SkipAction"]


class SkipAction(Action):
    name = "skip"
    cost = 0.0
    summary = "discard this step's gradients (no optimizer step); the step is kept out of the reference"
    drops_step = True

    def apply(self, ctl: TrainingControl, params: dict[str, float], ctx: ActionContext) -> dict[str, float]:
        self._drop_step(ctl, ctx)
        ctx.window.flag_last()
        return {}
