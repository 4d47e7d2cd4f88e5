"""Which action answers which finding: an escalation ladder with cooldowns, as data plus a small
state machine. The policy never touches the run; it returns `Decision`s that `actions/` execute,
so it can be unit-tested and printed (`sentinel monitor spec`) without torch.

An *episode* starts with the first non-plateau finding and ends after `recovery_steps` quiet
steps. Inside it the policy climbs `RUNGS`: per-step anomalies are contained (clip or skip) on
every step they occur; trend anomalies and long containment climb one rung; a rung must have
had `cooldown_steps` to work before the next is tried. `SHORTCUTS` name the evidence that says
the weights are already damaged, or names the cause, and jumps straight to a rollback. Plateaus
have their own short ladder because their cure (more learning rate) is the opposite of the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors import Finding

__all__ = [
    "CONTAIN_ACTION",
    "ENTRY_RUNG",
    "PLATEAU_LADDER",
    "PLATEAU_REINIT_WAIT",
    "RUNGS",
    "RUNG_ACTION",
    "SHORTCUTS",
    "Decision",
    "Episode",
    "Policy",
    "Shortcut",
]

RUNGS = ("contain", "lr_cut", "rollback", "reinit", "stop")
ENTRY_RUNG = {
    "nan": "contain",
    "loss_spike": "contain",
    "grad_explosion": "contain",
    "divergence": "lr_cut",
    "oscillation": "lr_cut",
}
CONTAIN_ACTION = {"nan": "skip", "loss_spike": "skip", "grad_explosion": "clip"}
RUNG_ACTION = {"lr_cut": "lr_cut", "rollback": "rollback", "reinit": "reinit", "stop": "stop"}
PLATEAU_LADDER = ("lr_restart", "reinit")  # small updates; large updates: rollback with two LR cuts
PLATEAU_REINIT_WAIT = 3  # patiences between the last LR restart and a plateau re-init
NAN_STREAK = 3  # this many non-finite steps in a row: skipping cannot bring the weights back
ROLLBACK = RUNGS.index("rollback")
PROGRESSED = 0.5  # a smoothed loss this far below the initial one: the LR itself trains fine


@dataclass(frozen=True, slots=True)
class Shortcut:
    """Evidence that skips the lower rungs: climb to at least `rung` at once."""

    name: str
    anomalies: tuple[str, ...]
    rung: str
    cuts: int  # LR cuts applied with it: 0 keeps (restores) the snapshot's LR
    during_cooldown: bool  # True: waiting out a cooldown would only burn steps
    skip_data: bool  # True: the batches since the snapshot may be the cause, do not replay them
    why: str


_ROWS: tuple[tuple[str, tuple[str, ...], int, bool, bool, str], ...] = (
    # name, anomalies it answers, LR cuts, during a cooldown, skip the data since the snapshot, why
    ("lr_jump", tuple(ENTRY_RUNG), 0, False, False, "the LR is > lr_jump_ratio x its recent median: "
     "the LR is the cause, so go back to before it jumped and keep that LR"),
    ("nan_streak", ("nan",), 1, True, True,
     f"{NAN_STREAK} non-finite steps in a row: skipping cannot bring the weights back"),
    ("blow_up", ("divergence",), 2, True, False, "loss > divergence_start_ratio x the initial loss: "
     "updates made the model far worse than untrained (clean runs stay under 2.8x), so the step was "
     "about a decade too large"),
    ("blow_up_after_progress", ("divergence",), 0, True, True,
     f"a first blow-up after the run had trained below {PROGRESSED} x its initial loss at this LR, or "
     "had trained at all through the warm-up (warmup_steps) without one: the LR is not the cause (a bad "
     "batch or gradient is), so go back, skip the batches since and keep the schedule's LR; a second "
     "blow-up cuts as `blow_up` does"),
    ("worse_than_start", ("divergence",), 1, False, False,
     "the diverging loss gave back all the progress since the start (progress_lost >= 1)"),
    ("spike_streak", ("loss_spike",), 0, False, True,
     "spike_streak spikes in a row are not one bad batch but damaged weights"),
)  # fmt: skip
#: Every shortcut lands on the rollback rung: the evidence says the weights are already damaged.
SHORTCUTS = tuple(Shortcut(name, anomalies, "rollback", *rest) for name, anomalies, *rest in _ROWS)
_SHORTCUT = {s.name: s for s in SHORTCUTS}


@dataclass(frozen=True, slots=True)
class Decision:
    """`new` marks an intervention worth an experience record (a rung entered, not a repeat)."""

    step: int
    anomaly: str
    action: str
    params: dict[str, float]
    evidence: dict[str, float]
    new: bool


@dataclass(slots=True)
class Episode:
    start: int
    anomaly: str
    rung: int
    last_step: int
    cooldown_until: int = -1
    contained: int = 0
    bursts: int = 1  # separate runs of consecutive per-step findings (the opening one included)
    lr_cut: bool = False  # some rung of this episode already lowered the LR
    blow_ups: int = 0  # rollbacks this episode made for a blow-up (each cut the LR about a decade)
    streak: int = 0  # consecutive steps with the same per-step anomaly
    streak_anomaly: str = ""
    interventions: list[int] = field(default_factory=list)  # steps of decisions with new=True
    burst_start: int = -1  # first step of the current run of per-step findings
    # the step before which the weights are known good: the episode's start, or, while it had
    # only contained single steps (nothing it did changed the weights), its current burst's start
    anchor: int = -1

    def __post_init__(self) -> None:
        self.burst_start = self.anchor = self.start


@dataclass(slots=True)
class _PlateauState:
    restarts: int = 0
    cuts: int = 0
    reinits: int = 0
    cooldown_until: int = -1
    last_restart: int = -(10**9)


class Policy:
    def __init__(self, config: MonitorConfig) -> None:
        self.config = config
        self.episode: Episode | None = None
        self.plateau = _PlateauState()
        self.last_finding_step = -(10**9)
        self.last_trend_step = -(10**9)  # last finding that containment does not answer
        self.stopped = False
        self._clip = config.clip_factor  # of the optimizer at hand (see decide)

    # ---------------------------------------------------------------- queries
    def healthy(self, step: int) -> bool:
        """Snapshots are only worth keeping when nothing has looked wrong for a while: no trend
        finding for `snapshot_every` steps and no finding at all for `trend_every`. Steps that
        were only contained (skipped, clipped, an LR jump undone) left the weights as they were,
        so an episode that has done nothing else does not block snapshots: a run with a few
        NaN steps still gets rollback points instead of redoing everything from step 0."""
        cfg = self.config
        quiet = step - self.last_trend_step >= cfg.snapshot_every
        quiet = quiet and step - self.last_finding_step >= cfg.trend_every
        contained = self.episode is None or self.episode.rung == 0
        return contained and quiet and not self.stopped

    @property
    def rung(self) -> str | None:
        return RUNGS[self.episode.rung] if self.episode else None

    # ---------------------------------------------------------------- transitions
    def tick(self, step: int) -> Episode | None:
        """Close the episode once it has been quiet for `recovery_steps`; returns the closed one."""
        ep = self.episode
        if ep is not None and step - ep.last_step >= self.config.recovery_steps:
            self.episode = None
            return ep
        return None

    def rebase(self, step: int) -> None:
        """After a rollback, restart the episode's clocks from `step` (the trainer may count on)."""
        if self.episode is not None:
            self.episode.last_step = step
            self.episode.streak = 0
            self.episode.cooldown_until = step + self.config.cooldown_steps
        self.last_finding_step = min(self.last_finding_step, step)
        self.last_trend_step = min(self.last_trend_step, step)

    def decide(
        self, finding: Finding, lr: float, ref_lr: float, ref_grad: float, adaptive: bool = False
    ) -> Decision | None:
        """Map one finding (the highest-priority one of its step) to at most one decision.

        `ref_lr` is the median LR of the healthy reference window, `ref_grad` its median
        gradient norm (the clip target); `adaptive`: the optimizer normalises by a second moment
        (Adam-like), so clips go to `clip_factor_adaptive` x that median."""
        self._clip = self.config.clip_factor_adaptive if adaptive else self.config.clip_factor
        if self.stopped:
            return None
        step, anomaly = finding.step, finding.anomaly
        self.last_finding_step = step
        if anomaly not in CONTAIN_ACTION:
            self.last_trend_step = step
        if anomaly == "plateau":
            return self._plateau(finding, lr, ref_lr)
        jump = lr / ref_lr if ref_lr > 0 and math.isfinite(ref_lr) else 1.0
        if jump > self.config.lr_jump_ratio:
            finding = Finding(anomaly, step, {**finding.evidence, "lr_jump": float(jump)})
        ep = self.episode
        if ep is None:
            ep = self.episode = Episode(step, anomaly, RUNGS.index(ENTRY_RUNG[anomaly]), step)
            ep.streak, ep.streak_anomaly = 1, anomaly
            shortcut = self._shortcut(ep, finding)
            if shortcut is not None:
                return self._enter(ep, ROLLBACK, finding, shortcut.cuts, shortcut.skip_data)
            if ep.rung == 0:
                return self._contain(ep, finding, ref_grad, new=True)
            return self._enter(ep, ep.rung, finding)
        consecutive = ep.last_step == step - 1 and ep.streak_anomaly == anomaly
        ep.streak = ep.streak + 1 if consecutive else 1
        if anomaly in CONTAIN_ACTION and not (
            ep.last_step == step - 1 and ep.streak_anomaly in CONTAIN_ACTION
        ):
            ep.bursts += 1  # a new run of per-step findings, not the continuation of one
            ep.burst_start = step
        ep.streak_anomaly, ep.last_step = anomaly, step
        cooling = step < ep.cooldown_until
        shortcut = self._shortcut(ep, finding)
        if shortcut is not None and (shortcut.during_cooldown or not cooling):
            if ep.rung < ROLLBACK or self._retry_blow_up(ep, shortcut):
                # the shortcut's own LR and data choice is for its rollback
                return self._enter(ep, ROLLBACK, finding, shortcut.cuts, shortcut.skip_data)
            return self._enter(ep, ep.rung + 1, finding)  # it already failed once: normal cuts
        if cooling:
            return self._contain(ep, finding, ref_grad, new=False) if anomaly in CONTAIN_ACTION else None
        if anomaly not in CONTAIN_ACTION:  # a trend despite everything so far: climb
            return self._enter(ep, max(ep.rung + 1, 1), finding)
        ep.contained += 1
        # one fault, however long, is one burst; bursts that keep coming back mean the steps
        # themselves are too big (an unstable LR), which containment cannot fix
        if ep.contained > self.config.contain_limit or ep.bursts >= self.config.contain_bursts:
            return self._enter(ep, max(ep.rung + 1, 1), finding)
        return self._contain(ep, finding, ref_grad, new=False)

    # ---------------------------------------------------------------- rungs
    def _shortcut(self, ep: Episode, finding: Finding) -> Shortcut | None:
        ev, anomaly = finding.evidence, finding.anomaly
        if "lr_jump" in ev and ep.rung < ROLLBACK:
            return _SHORTCUT["lr_jump"]
        if anomaly == "nan" and ep.streak >= NAN_STREAK:
            return _SHORTCUT["nan_streak"]
        if anomaly == "divergence" and "above_start" in ev:
            best = ev.get("best_ratio", 1.0)
            survived = finding.step > self.config.warmup_steps and best < 1.0
            if ep.blow_ups == 0 and (best < PROGRESSED or survived):
                return _SHORTCUT["blow_up_after_progress"]
            return _SHORTCUT["blow_up"]
        if anomaly == "divergence" and ev.get("progress_lost", math.inf) >= 1.0 and "z" in ev:
            return _SHORTCUT["worse_than_start"]
        if anomaly == "loss_spike" and ep.streak >= self.config.spike_streak:
            return _SHORTCUT["spike_streak"]
        return None

    def _retry_blow_up(self, ep: Episode, shortcut: Shortcut) -> bool:
        """A blow-up again after a blow-up rollback means the cut LR is still too large, not that
        the weights are bad (the snapshot blew up too): cut about a decade more and go back again,
        up to `blow_up_retries` times, before the ladder moves on to a re-init and a stop."""
        retries = self.config.blow_up_retries
        blow_up = shortcut.name in ("blow_up", "blow_up_after_progress")
        return blow_up and ep.rung == ROLLBACK and 0 < ep.blow_ups <= retries

    def _contain(self, ep: Episode, finding: Finding, ref_grad: float, new: bool) -> Decision:
        action = CONTAIN_ACTION[finding.anomaly]
        params: dict[str, float] = {}
        if action == "clip":
            # the detector may have judged by the pre-rollback reference: clip to that median
            judged = finding.evidence.get("ref_grad_norm", math.inf)
            params["max_norm"] = self._clip * min(ref_grad, judged)
        if new:
            ep.interventions.append(finding.step)
        return Decision(finding.step, finding.anomaly, action, params, finding.evidence, new)

    def _enter(
        self, ep: Episode, rung: int, finding: Finding, cuts: int = 1, skip_data: bool | None = None
    ) -> Decision:
        """Climb to `rung`; the LR factor is lr_cut_factor ** cuts (0 cuts: keep the snapshot's).
        A rollback skips the batches drawn since its snapshot only when they may be the cause
        (non-finite or spiking losses); for an LR problem the data is fine and is replayed."""
        rung = min(rung, len(RUNGS) - 1)
        if ep.rung == 0:  # containment changed no weights: they were good until this burst
            ep.anchor = ep.burst_start
        if rung > ROLLBACK and not ep.lr_cut:
            # a shortcut went straight to a rollback that kept the LR and it did not hold: a smaller
            # LR is the cheaper untried remedy, so roll back once more with a cut before a re-init
            rung, cuts, skip_data = ROLLBACK, max(cuts, 1), False
        ep.rung, ep.contained, ep.streak, ep.bursts = rung, 0, 0, 0
        ep.cooldown_until = finding.step + self.config.cooldown_steps
        ep.interventions.append(finding.step)
        action = RUNG_ACTION[RUNGS[rung]]
        params: dict[str, float] = {}
        if action == "stop":
            self.stopped = True
        else:
            params["factor"] = self.config.lr_cut_factor ** max(cuts, 1 if action == "lr_cut" else 0)
            ep.lr_cut = ep.lr_cut or params["factor"] < 1.0
        if action in ("lr_cut", "rollback") and self._from_start(ep, finding) and params["factor"] < 1.0:
            params["momentum"] = self.config.momentum_horizon_cut
        if action == "rollback":
            data = finding.anomaly in ("nan", "loss_spike") if skip_data is None else skip_data
            params["skip_data"] = 1.0 if data else 0.0
            if finding.anomaly == "divergence" and "above_start" in finding.evidence:
                ep.blow_ups += 1
        return Decision(finding.step, finding.anomaly, action, params, finding.evidence, True)

    def _from_start(self, ep: Episode, finding: Finding) -> bool:
        """Trouble with the step size from the start (divergence, a blow-up or oscillation whose
        episode opened within the first two snapshot periods): the momentum carried those steps."""
        trend = finding.anomaly in ("divergence", "oscillation") or "above_start" in finding.evidence
        return trend and ep.start <= 2 * self.config.snapshot_every

    def lr_jump(self, finding: Finding) -> Decision:
        """The LR left its schedule by `lr_jump` x at this very step (seen before the optimizer
        applies it): undo exactly that factor now. Nothing else is wrong yet, so no episode
        opens and no snapshot is needed."""
        self.last_finding_step = finding.step
        factor = 1.0 / finding.evidence["lr_jump"]
        return Decision(finding.step, "lr_jump", "lr_cut", {"factor": factor}, finding.evidence, True)

    def _plateau(self, finding: Finding, lr: float, ref_lr: float) -> Decision | None:
        """More LR while the updates are tiny (warm restart), checked again after `patience`
        steps; one re-init only if the loss is still stuck `PLATEAU_REINIT_WAIT` patiences after
        the last restart (a restarted run starts slowly, like any fresh run); then leave it be.
        No restart while the schedule is still raising the LR (a warm-up): its own ramp may end
        the plateau, and a restart sized now would be multiplied by the rest of the ramp.
        Two opposite cases roll back to the initial weights (a run stuck at its start level has
        nothing worth keeping since) with the LR cut by about a decade, at most
        `lr_restart_limit` times: a loss stuck at its start level while the weights move by more
        than `plateau_update_ratio_high` per step, and a collapse (gradients fallen to
        `plateau_collapse_grad` of their start level while the loss stays high, e.g. the
        constant predictor). Both are an LR so large it has wrecked the model without blowing
        the loss up (saturated or dead units), and more LR would be exactly wrong.
        A plateau with healthy-sized updates and no restart behind it is left alone: the run is
        learning slowly, not stuck, and a re-init would throw its progress away."""
        state, cfg = self.plateau, self.config
        if self.episode is not None or finding.step < state.cooldown_until:
            return None
        ratio = finding.evidence.get("update_ratio", math.nan)
        collapsed = finding.evidence.get("grad_drop", math.inf) <= cfg.plateau_collapse_grad
        wrecking = math.isfinite(ratio) and ratio > cfg.plateau_update_ratio_high
        if (collapsed or wrecking) and state.cuts < cfg.lr_restart_limit:
            state.cuts += 1
            state.cooldown_until = finding.step + cfg.plateau_patience
            params = {"factor": cfg.lr_cut_factor**2, "skip_data": 0.0, "initial": 1.0}
            return Decision(finding.step, "plateau", "rollback", params, finding.evidence, True)
        if collapsed:
            return None  # more LR cannot revive dead units
        small = not math.isfinite(ratio) or ratio < cfg.plateau_update_ratio_low
        base = finding.evidence.get("lr_median", ref_lr)  # the hook has no reference before step 33
        rising = math.isfinite(base) and base > 0 and lr > cfg.plateau_lr_rising * base
        if "lr_rising" in finding.evidence:  # the schedule can say whether its warm-up is over
            rising = finding.evidence["lr_rising"] > cfg.plateau_lr_rising
        if small and rising:
            return None
        if small and state.restarts < cfg.lr_restart_limit:
            state.restarts += 1
            state.last_restart = finding.step
            state.cooldown_until = finding.step + cfg.plateau_patience
            if math.isfinite(ratio) and ratio > 0:
                factor = min(max(cfg.update_ratio_target / ratio, 2.0), cfg.lr_restart_max_factor)
            else:
                factor = min(10.0, cfg.lr_restart_max_factor)
            return Decision(finding.step, "plateau", "lr_restart", {"factor": factor}, finding.evidence, True)
        waited = finding.step - state.last_restart >= PLATEAU_REINIT_WAIT * cfg.plateau_patience
        if state.restarts > 0 and state.reinits < 1 and waited:  # more LR did not help: start over
            state.reinits += 1
            state.cooldown_until = finding.step + PLATEAU_REINIT_WAIT * cfg.plateau_patience
            return Decision(finding.step, "plateau", "reinit", {"factor": 1.0}, finding.evidence, True)
        return None
