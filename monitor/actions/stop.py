"""Stop the run as `diverged`: every rung failed, so more steps would only burn the budget."""

from __future__ import annotations

from sentinel.monitor.actions._base import Action, ActionContext
from sentinel.sandbox.runtime.hooks import TrainingControl

__all__ = ["STOP_REASON", "StopAction"]

STOP_REASON = "monitor_exhausted"  # Sentinel's own enumerated wording for summary.json


class StopAction(Action):
    name = "stop"
    cost = 1.0
    summary = "finish the run after this step with status diverged"
    drops_step = True

    def apply(self, ctl: TrainingControl, params: dict[str, float], ctx: ActionContext) -> dict[str, float]:
        self._drop_step(ctl, ctx)
        ctl.stop("diverged", STOP_REASON)
        return {}
