"""Loss spike: this step's loss is a robust (median/MAD) outlier above the run's recent losses."""

from __future__ import annotations

import math

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors._base import FLOAT_MAX, Detector, Finding
from sentinel.monitor.detectors._carry import RollbackMemory
from sentinel.monitor.signals import Reference, SignalWindow

__all__ = ["LossSpikeDetector"]


class LossSpikeDetector(Detector):
    """A bad batch shows up as one loss far above the recent ones. Three bars, all relative to the
    run's own recent healthy losses (scale-free): `z` robust sigmas above the median, `min_rel`
    times |median| above it, and, for positive losses, `log_z` robust sigmas above the median of
    log(loss). The log bar is what keeps heavy-tailed minibatch losses quiet: near 100% accuracy
    one misclassified sample makes a batch 100x the median, yet only ~4.6 sigmas on the log
    scale, where such tails are not heavy; a corrupt batch lands much further out. A fourth bar
    keeps long runs quiet once the loss has fallen by orders of magnitude: the rise must also be
    `min_start_rel` of the run's own start level, because a batch at 1e-4 over a median of 1e-5,
    in a run that started at 1.0, is memorisation noise, not a step worth dropping.
    After a rollback, the reference in effect just before it is a second judge until the run is
    back where it was (`RollbackMemory`): the restored one may span the run's first, wild steps."""

    name = "loss_spike"
    per_step = True
    summary = (
        "loss above median + max(z * MAD_sigma, min_rel * |median|, min_start_rel * |start|) and "
        "log_z log-sigmas above the median; after a rollback, until the run is back where it was, "
        "judged by the tighter of the restored and the pre-rollback reference"
    )

    def __init__(
        self,
        z: float = 8.0,
        min_rel: float = 1.0,
        log_z: float = 6.0,
        warmup: int = 24,
        min_start_rel: float = 0.05,
    ) -> None:
        if z <= 0 or min_rel <= 0 or log_z <= 0 or warmup < 1 or min_start_rel < 0:
            got = f"{z}, {min_rel}, {log_z}, {warmup}, {min_start_rel}"
            need = "z > 0, min_rel > 0, log_z > 0, warmup >= 1, min_start_rel >= 0"
            raise ValueError(f"need {need}; got {got}")
        self.z, self.min_rel, self.log_z, self.warmup = z, min_rel, log_z, warmup
        self.min_start_rel = min_start_rel
        self._key: tuple[int, int, float] = (-1, -1, math.nan)
        self._threshold = math.inf
        self._judge: Reference | None = None  # the reference that set the threshold
        self._memory = RollbackMemory()

    @classmethod
    def from_config(cls, config: MonitorConfig) -> LossSpikeDetector:
        return cls(
            config.spike_z,
            config.spike_min_rel,
            config.spike_log_z,
            config.warmup_steps,
            config.spike_min_start_rel,
        )

    def _threshold_of(self, ref: Reference, start: float) -> float:
        margin = max(self.z * ref.loss_scale, self.min_rel * abs(ref.loss_median))
        if start == start:  # the run's own range: |start|, or how far it has come when larger
            margin = max(margin, self.min_start_rel * max(abs(start), abs(start - ref.loss_median)))
        threshold = ref.loss_median + margin
        if math.isfinite(ref.log_loss_median):
            threshold = max(threshold, math.exp(ref.log_loss_median + self.log_z * ref.log_loss_scale))
        return threshold

    def _limit(self, window: SignalWindow, ref: Reference) -> float:
        start = window.start_loss
        carried = self._memory.carried(window)
        known = start if start == start else -math.inf  # NaN != NaN would never cache
        key = (ref.version, carried.version if carried is not None else -1, known)
        if key != self._key:
            self._threshold, self._judge = self._threshold_of(ref, start), ref
            if carried is not None and (limit := self._threshold_of(carried, start)) < self._threshold:
                self._threshold, self._judge = limit, carried
            self._key = key
        return self._threshold

    def quiet_below(self, window: SignalWindow) -> tuple[float, float]:
        ref = window.reference
        if ref is None or window.count + 1 < self.warmup:
            self._memory.carried(window)  # a reset must not go unseen
            return FLOAT_MAX, FLOAT_MAX
        return self._limit(window, ref), FLOAT_MAX

    def observe(self, step: int, window: SignalWindow) -> Finding | None:
        ref = window.reference
        if ref is None or window.count < self.warmup:
            self._memory.carried(window)
            return None
        loss = window.last_loss
        if not loss > self._limit(window, ref) or math.isinf(loss):
            return None
        judge = self._judge if self._judge is not None else ref
        evidence = {
            "loss": float(loss),
            "ref_loss": judge.loss_median,
            "z": (loss - judge.loss_median) / judge.loss_scale,
            "rel": (loss - judge.loss_median) / max(abs(judge.loss_median), 1e-12),
        }
        if math.isfinite(judge.log_loss_median):
            evidence["log_z"] = (math.log(loss) - judge.log_loss_median) / judge.log_loss_scale
        if judge is not ref:
            evidence["pre_rollback"] = 1.0
        return Finding(self.name, step, evidence)
