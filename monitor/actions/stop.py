"""Stop the run as `diverged`: every rung failed, so more steps would only burn the budget.

Before stopping, the newest healthy snapshot is restored, so the run ends on the last weights
that were known to be sound rather than on the ones that just failed (its final metrics and any
later use of the model then describe something usable)."""

from __future__ import annotations

from sentinel.monitor.actions._base import Action, ActionContext
from sentinel.monitor.protocol import TrainingControl

__all__ = ["STOP_REASON", "StopAction"]

STOP_REASON = "monitor_stop"  # Sentinel's own wording, in the host's summary-reason vocabulary


class StopAction(Action):
    name = "stop"
    cost = 1.0
    summary = "restore the newest healthy snapshot, then finish the run with status diverged"
    drops_step = True

    def apply(self, ctl: TrainingControl, params: dict[str, float], ctx: ActionContext) -> dict[str, float]:
        self._drop_step(ctl, ctx)
        snap = ctx.snapshots.recent[-1] if ctx.snapshots.recent else ctx.snapshots.initial
        out = {"restored": 0.0}
        if snap is not None:
            ctl.restore(snap.training)
            ctx.window.load_state(snap.window)
            out = {"restored": 1.0, "to_step": float(snap.step)}
        ctl.stop("diverged", STOP_REASON)
        return out
