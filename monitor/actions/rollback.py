"""Roll back to the last healthy snapshot taken before the trouble began, skip the batches that
led there when they may be the cause, and keep the LR at or below what it was (times the
policy's factor). `initial` asks for the initial snapshot instead: a run stuck at its start
level has learnt nothing worth keeping since, and later snapshots may hold already-wrecked
weights (a collapse happens in the first few steps, long before the first healthy snapshot)."""

from __future__ import annotations

from sentinel.monitor.actions._base import Action, ActionContext
from sentinel.sandbox.runtime.hooks import TrainingControl

__all__ = ["RollbackAction"]


class RollbackAction(Action):
    name = "rollback"
    cost = 0.3
    summary = (
        "restore the newest healthy snapshot older than the episode start minus divergence_window "
        "(or the initial one), skip the batches since when the data may be the cause, "
        "LR = min(now, then) x factor"
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
        ctl.restore(target.training)
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
        lr_now = float(ctl.lr)
        wanted = min(lr_before, target.lr) * factor
        if lr_now > 0 and wanted != lr_now:
            ctl.scale_lr(wanted / lr_now)
        return {
            "restored": 1.0,
            "skip_data": 1.0 if wanted_skip else 0.0,
            "to_step": float(target.step),
            "skipped": float(skipped),
            "factor": factor,
            "lr": float(ctl.lr),
        }
