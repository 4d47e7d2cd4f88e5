"""Roll back to the last healthy snapshot taken before the trouble began, skip the batches that
led there when they may be the cause, and keep the LR at or below what it was (times the
policy's factor), measured against the schedule: the restored LR is what the schedule gives at
the snapshot's position, times the cuts made since (and the policy's factor when the LR is the
cause), so rolling back over a decayed or warming-up schedule is never a permanent cut by
itself. `initial` asks for the initial snapshot instead: a run stuck at its start
level has learnt nothing worth keeping since, and later snapshots may hold already-wrecked
weights (a collapse happens in the first few steps, long before the first healthy snapshot)."""

from __future__ import annotations

import math

from sentinel.monitor.actions._base import Action, ActionContext
from sentinel.monitor.actions._momentum import apply_momentum_caps, shorten_momentum
from sentinel.monitor.protocol import TrainingControl

__all__ = ["RollbackAction"]


class RollbackAction(Action):
    name = "rollback"
    cost = 0.3
    summary = (
        "restore the newest healthy snapshot older than the episode's anchor minus divergence_window "
        "(or the initial one), skip the batches since when the data may be the cause, "
        "LR = the schedule's LR then x min(1, scale now / scale then) x factor"
    )
    drops_step = True

    def apply(self, ctl: TrainingControl, params: dict[str, float], ctx: ActionContext) -> dict[str, float]:
        target = ctx.snapshots.initial if params.get("initial", 0.0) > 0 else None
        if target is None:
            target = ctx.snapshots.before(ctx.episode_start - ctx.config.divergence_window)
        if target is None:
            return {"restored": 0.0}
        self._drop_step(ctl, ctx)
        lr_before, step_before = float(ctl.lr), int(ctl.step)
        scale_before = _schedule_scale(ctl)
        ctl.restore(target.training)
        apply_momentum_caps(ctl.optimizer, ctx.snapshots.momentum_caps)
        ctx.window.load_state(target.window)
        ctx.snapshots.drop_after(target.step)
        # the trainer restores the data position but keeps counting steps, so the batches drawn
        # since the snapshot are `step_before - target.step`; a plain loop cannot rewind its data
        # (LoopControl.rewinds_data is False): there, those batches are already behind it
        rewound = bool(getattr(ctl, "rewinds_data", True))
        wanted_skip = params.get("skip_data", 1.0) > 0
        skipped = max(0, step_before - target.step) if rewound and wanted_skip else 0
        if skipped:
            ctl.skip_batches(skipped)
        factor = float(params.get("factor", 1.0))
        lr_now, scale_then = float(ctl.lr), _schedule_scale(ctl)
        if math.isfinite(scale_before) and math.isfinite(scale_then) and scale_then > 0:
            wanted = lr_now * min(1.0, scale_before / scale_then) * factor
        else:  # no schedule to ask (a plain loop): the older of the two LRs
            wanted = min(lr_before, target.lr) * factor
        if lr_now > 0 and wanted != lr_now:
            ctl.scale_lr(wanted / lr_now)
        out = {
            "restored": 1.0,
            "skip_data": 1.0 if wanted_skip else 0.0,
            "to_step": float(target.step),
            "skipped": float(skipped),
            "factor": factor,
            "lr": float(ctl.lr),
        }
        cut = float(params.get("momentum", 0.0))
        if cut > 1:
            out["momentum"] = shorten_momentum(ctl.optimizer, cut, ctx.snapshots.momentum_caps)
        return out


def _schedule_scale(ctl: TrainingControl) -> float:
    """How far the LR is from what the schedule would give now (1 = untouched); NaN if unknown."""
    planned = getattr(ctl, "planned_lr", None)
    value = float(planned()) if callable(planned) else math.nan
    return float(ctl.lr) / value if math.isfinite(value) and value > 0 else math.nan
