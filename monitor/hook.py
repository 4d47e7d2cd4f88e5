"""The monitor as a `TrainerHook`: signals in, detectors, policy, actions out, events recorded.

Per-step detectors run in `after_backward`, where a bad step can still be clipped or dropped
before the optimizer applies it; trend detectors, snapshots and experience bookkeeping run in
`after_step` at their cadences. A healthy step costs a window push and three comparisons.
"""

from __future__ import annotations

import math
from typing import Any

from sentinel.contract.events import decision_event
from sentinel.monitor.actions import ACTIONS, ActionContext
from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors import Finding, build_detectors
from sentinel.monitor.experience import ExperienceLog
from sentinel.monitor.policy import Decision, Policy
from sentinel.monitor.protocol import QuietGate, StepSignals, TrainerHook, TrainingControl
from sentinel.monitor.quality import QualityWatch
from sentinel.monitor.signals import SignalWindow
from sentinel.monitor.snapshots import SnapshotStore
from sentinel.monitor.update_ratio import UpdateRatioProbe

__all__ = ["MonitorHook", "build_trainer_hook"]

QUALITY_EVERY = 4  # run-quality reports are checked every 4th trend tick (128 steps by default)


class MonitorHook(TrainerHook):
    """`batch_quiet_steps=False` makes the trainer call the hook on every step (the same
    decisions at a higher per-step cost: tests compare the two)."""

    def __init__(self, config: MonitorConfig, batch_quiet_steps: bool = True) -> None:
        self.config = config
        self.window = SignalWindow(
            config.window,
            config.ref_window,
            config.refresh_every,
            config.start_steps,
            config.ewma_alpha,
            config.mad_floor_rel,
            config.refresh_idle,
        )
        detectors = build_detectors(config)
        self.per_step = tuple(d for d in detectors if d.per_step)
        self.trend = tuple(d for d in detectors if not d.per_step)
        self.policy = Policy(config)
        self.snapshots = SnapshotStore(config.snapshots_kept)
        self.experience = ExperienceLog(config.outcome_horizon, config.recovery_tolerance)
        self.probe = UpdateRatioProbe()
        self.decisions: list[dict[str, Any]] = []  # every decision event, also kept in memory
        self.experiences: list[dict[str, Any]] = []
        self.events_dropped = 0
        self.ticks = 0  # steps observed; never goes back, unlike the trainer's step after a rollback
        self._episodes = 0
        self._last_finding_tick = -(10**9)
        self._dropped_this_step = False
        self._started = False
        self._next_snapshot = config.snapshot_every  # tick at which the next snapshot is due
        self._loss_gate = self._grad_gate = -math.inf  # see _gate
        self._gate_ref: object = ()  # the reference the gate was computed for
        self._gate_until = config.warmup_steps + 1  # warm-up ends between references: re-gate until then
        self._trend_every = config.trend_every
        self._scale = math.nan  # LR / the schedule's planned LR at the last observed step
        self.quality = QualityWatch(config)
        self._planned_fn: Any = None  # ctl.planned_lr, looked up once
        self._adaptive: bool | None = None  # the optimizer is Adam-like (see _is_adaptive)
        self._planned_seen = self._planned_prev = (
            math.nan
        )  # schedule's planned LR at the last two trend ticks
        self.gate = QuietGate() if batch_quiet_steps else None  # which coming steps may be batched

    # ------------------------------------------------------------------ hook points
    def on_train_start(self, ctl: TrainingControl) -> None:
        self.snapshots.take(ctl, self.window, initial=True)  # the initial weights are healthy by definition
        self._started = True

    def after_backward(self, ctl: TrainingControl, signals: StepSignals) -> None:
        if not self._started:
            self.on_train_start(ctl)
        if self.gate is not None and self.gate.pending:
            self._catch_up(self.gate.pending)
        self._observe(ctl, signals)
        self._arm_gate(ctl)

    def _catch_up(self, pending: list[tuple[int, int, float, float, float]]) -> None:
        """Record the quiet steps the trainer batched since the last call. `_arm_gate` allowed
        only steps on which the hook would have done nothing but this, in the same order."""
        push = self.window.push
        for step, _epoch, loss, grad, lr in pending:
            push(step, loss, grad, lr)
        self.ticks += len(pending)
        pending.clear()

    def _arm_gate(self, ctl: TrainingControl) -> None:
        """Let the trainer batch the coming steps that need nothing but a push: under every
        per-step detector's quiet bound, before the next reference refresh, trend tick, update
        ratio probe or periodic check, and never during warm-up (its bounds move every step)."""
        window, gate, every = self.window, self.gate, self._trend_every
        if gate is None:
            return
        if window.count < self._gate_until or self.policy.stopped:
            gate.until = 0
            return
        if window.reference is not self._gate_ref:
            self._gate()  # what the next call would compute first: nothing changes in between
        count, ticks, refresh = window.count, self.ticks, window.refresh_every
        ahead = min(
            -count % refresh + 1,  # the push that refreshes the reference (count_before % refresh == 0)
            every - count % every,  # the push after which count % every == 0: divergence's trend tick
            (every - 2 - ticks) % every + 1,  # the tick % every == every - 1: the update ratio probe
            -ticks % every or every,  # the tick % every == 0: after_step's periodic checks
        )
        gate.loss_max, gate.grad_max = self._loss_gate, self._grad_gate
        gate.lr_max = self.config.lr_jump_ratio * float(ctl.lr)  # < 2.3x per gate span in warm-up
        gate.until = int(ctl.step) + ahead

    def _observe(self, ctl: TrainingControl, signals: StepSignals) -> None:
        window = self.window
        loss, grad = signals.loss, signals.grad_norm
        if window.reference is not self._gate_ref or window.count < self._gate_until:
            self._gate()
        window.push(signals.step, loss, grad, signals.lr)
        self.ticks += 1
        self._dropped_this_step = False
        if self._lr_jumped(ctl, signals):
            return
        # fast path: under every per-step detector's bound (NaN and Inf never are) and not a
        # trend tick of `divergence`: two comparisons instead of four detector calls
        if not (loss <= self._loss_gate and grad <= self._grad_gate and window.count % self._trend_every):
            for detector in self.per_step:
                finding = detector.observe(signals.step, window)
                if finding is not None:
                    self._handle(ctl, finding, in_backward=True)
                    return
        if self.ticks % self._trend_every == self._trend_every - 1 and self._may_plateau():
            self.probe.before(ctl.optimizer)  # measured on this step, read at the next trend tick

    def _may_plateau(self) -> bool:
        """The update ratio only matters to a plateau, which needs a loss still near its start:
        skip the weight copy once the smoothed loss is clearly below that."""
        window = self.window
        start = window.start_loss
        return not (start > 0 and window.ewma_loss < 0.9 * self.config.plateau_elevated * start)

    def _gate(self) -> None:
        """Lowest quiet bounds of the per-step detectors for the current reference and start
        level; recomputed when the reference object changes and on every warm-up step."""
        window = self.window
        bounds = [d.quiet_below(window) for d in self.per_step]
        self._loss_gate = min(b[0] for b in bounds)
        self._grad_gate = min(b[1] for b in bounds)
        self._gate_ref = window.reference

    def after_step(self, ctl: TrainingControl, signals: StepSignals) -> None:
        if self.probe.armed:
            ratio = self.probe.after(applied=not self._dropped_this_step)
            if not math.isnan(ratio):
                self.window.update_ratio = ratio
        if self.ticks % self._trend_every == 0:
            self._periodic(ctl, signals)
            self._arm_gate(ctl)

    def _periodic(self, ctl: TrainingControl, signals: StepSignals) -> None:
        """Every `trend_every` steps: trend detectors, episode closure, due experiences, the step
        time and a healthy snapshot. Nothing here needs a finer clock than that."""
        cfg, window = self.config, self.window
        self._planned_seen = self._planned(ctl)  # the next step's: vs _planned_prev, this step's
        quality_due = self.ticks % (QUALITY_EVERY * self._trend_every) == 0  # reports need no hurry
        if quality_due and not self.policy.stopped and (report := self.quality.observe(signals.step, window)):
            params = {"steps": float(self.ticks)}
            self._record(
                ctl,
                decision_event(report.step, report.anomaly, report.evidence, "none", params),
                self.decisions,
            )
        if not self.policy.stopped:
            for detector in self.trend:
                finding = detector.observe(signals.step, window)
                if finding is not None:
                    self._handle(ctl, finding, in_backward=False)
                    break
        self.policy.tick(signals.step)
        if self.experience.pending:
            self._emit_experiences(ctl, self.experience.due(self.ticks, window, self._last_finding_tick))
        if (
            self.ticks >= self._next_snapshot
            and window.count >= cfg.warmup_steps
            and self.policy.healthy(signals.step)
            and window.reference is not None
            and math.isfinite(window.last_loss)
        ):
            self._snapshot(ctl)

    def _snapshot(self, ctl: TrainingControl) -> None:
        """Keep a healthy snapshot; the next one is due `snapshot_gap` steps later. Counted in
        steps only, never in seconds: the same seed and faults must give the same decisions on
        any machine and under any load."""
        self.snapshots.take(ctl, self.window)
        self._next_snapshot = self.ticks + self.config.snapshot_gap

    def _with_headroom(self, finding: Finding) -> Finding:
        """Add whether the schedule itself is still raising the LR (its planned LR for the next
        step over the last observed step's): a plateau during an LR warm-up may be the warm-up, one at
        the peak or in the decay is not (the LR-vs-median test cannot tell a decay from it)."""
        now, before = self._planned_seen, self._planned_prev
        if not (math.isfinite(now) and math.isfinite(before) and before > 0):
            return finding
        return Finding(finding.anomaly, finding.step, {**finding.evidence, "lr_rising": now / before})

    def _planned(self, ctl: TrainingControl) -> float:
        """The schedule's LR for the control's current position (NaN without a schedule). The
        bound method is looked up once: this runs on every observed step."""
        if self._planned_fn is None:
            method = getattr(ctl, "planned_lr", None)
            self._planned_fn = method if callable(method) else (lambda: math.nan)
        return float(self._planned_fn())

    def _lr_scale(self, ctl: TrainingControl, lr: float) -> float:
        """LR over the schedule's own LR for this step (1 when nothing rescaled it); the raw LR
        when the control cannot say what the schedule would give (a plain loop)."""
        value = self._planned(ctl)
        return lr / value if value > 0 else lr  # NaN > 0 is False

    def _lr_jumped(self, ctl: TrainingControl, signals: StepSignals) -> bool:
        """An LR jump is recognised at the step it happens, from the optimizer's LR against the
        schedule's, before the optimizer applies it: the cut back is exact and nothing is lost."""
        planned, before = self._planned(ctl), self._scale
        self._planned_prev = planned  # this step's (see _with_headroom)
        scale = self._scale = signals.lr / planned if planned > 0 else signals.lr
        if not (before > 0 and scale > self.config.lr_jump_ratio * before) or self.policy.stopped:
            return False
        jump = scale / before
        evidence = {"lr_jump": float(jump), "lr": float(signals.lr)}
        decision = self.policy.lr_jump(Finding("lr_jump", signals.step, evidence))
        self._last_finding_tick = self.ticks
        self._act(ctl, decision, in_backward=True)
        return True

    def on_train_end(self, ctl: TrainingControl, status: str) -> None:
        if self.gate is not None and self.gate.pending:
            self._catch_up(self.gate.pending)
        self._emit_experiences(ctl, self.experience.finish(self.ticks, self.policy.stopped))

    # ------------------------------------------------------------------ decisions
    def _handle(self, ctl: TrainingControl, finding: Finding, in_backward: bool) -> None:
        self._last_finding_tick = self.ticks
        ref = self.window.reference
        ref_grad = ref.grad_median if ref is not None else math.inf
        ref_lr = self.window.lr_median() if ref is not None else math.nan
        episode_before = self.policy.episode
        if finding.anomaly == "plateau":
            finding = self._with_headroom(finding)
        decision = self.policy.decide(finding, float(ctl.lr), ref_lr, ref_grad, self._is_adaptive(ctl))
        if decision is None:
            return
        if self.policy.episode is not None and self.policy.episode is not episode_before:
            self._episodes += 1
        self._act(ctl, decision, in_backward)

    def _is_adaptive(self, ctl: TrainingControl) -> bool:
        """An Adam-like optimizer (its groups carry `betas`); asked once, on the first finding."""
        if self._adaptive is None:
            groups = getattr(getattr(ctl, "optimizer", None), "param_groups", ())
            self._adaptive = any("betas" in group for group in groups)
        return self._adaptive

    def _act(self, ctl: TrainingControl, decision: Decision, in_backward: bool) -> None:
        action = ACTIONS[decision.action]
        episode = self.policy.episode
        start = episode.anchor if episode is not None else decision.step
        ref = self.window.reference
        ref_loss = ref.loss_median if ref is not None else math.nan
        if decision.new and decision.action not in ("skip", "clip"):
            self._emit_experiences(ctl, self.experience.escalated(self._episodes, self.ticks))
        ctx = ActionContext(self.window, self.snapshots, self.config, start, in_backward)
        params = action.apply(ctl, dict(decision.params), ctx)
        if action.drops_step and in_backward:
            self._dropped_this_step = True
        if decision.action == "rollback":
            self.policy.rebase(int(ctl.step))
        self._scale = self._lr_scale(ctl, float(ctl.lr))  # the monitor's own LR moves are no jumps
        event = decision_event(decision.step, decision.anomaly, decision.evidence, decision.action, params)
        self._record(ctl, event, self.decisions)
        if decision.new:
            self.experience.open(event, self.ticks, ref_loss, self._episodes)

    def _emit_experiences(self, ctl: TrainingControl, events: list[dict[str, Any]]) -> None:
        for event in events:
            self._record(ctl, event, self.experiences)

    def _record(self, ctl: TrainingControl, event: dict[str, Any], into: list[dict[str, Any]]) -> None:
        """Bounded: a pathological run must not turn the monitor into an artifact-size attack."""
        if len(self.decisions) + len(self.experiences) >= self.config.max_events:
            self.events_dropped += 1
            return
        into.append(event)
        ctl.record_event(event)


def build_trainer_hook(params: dict[str, Any] | None) -> TrainerHook:
    """The trainer's single entry point: `params` is the run config's `monitor:` mapping.

    Unknown keys raise ValueError naming the key. With `enabled: false` the plain no-op
    `TrainerHook` comes back, so the trainer needs no special case.
    """
    config = MonitorConfig.from_params(params)
    if not config.enabled:
        return TrainerHook()
    return MonitorHook(config)
