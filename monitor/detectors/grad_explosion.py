"""Gradient explosion: this step's global gradient norm is a robust outlier of the run's own norms."""

from __future__ import annotations

import math

import numpy as np

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors._base import FLOAT_MAX, Detector, Finding
from sentinel.monitor.detectors._carry import RollbackMemory
from sentinel.monitor.signals import Reference, SignalWindow

__all__ = ["GradExplosionDetector"]


class GradExplosionDetector(Detector):
    """Judged on log(norm) so the test is scale-free and symmetric in ratio: the norm must exceed
    the healthy median by `min_ratio` and by `z` robust sigmas of log-norm. Near convergence
    norms are heavy tailed (200x the median happens in clean classification runs), but only a
    few sigmas on the log scale. The threshold is cached per reference version, so a healthy
    step costs one comparison.

    After a rollback the reference in effect just before it is kept as a second judge until the
    run is back where it was (`RollbackMemory`), with the bar lowered to `min_ratio` x its median:
    the run is known to be in trouble, and under Adam a single unclipped step at 50x the median
    (below e^(6 sigma) for a noisy cnn1d) is enough to wreck the weights again. Clipping a healthy
    step that happens to reach 10x costs little; letting the rest of a long burst through undoes
    the rollback."""

    name = "grad_explosion"
    per_step = True
    summary = (
        "gradient norm above max(min_ratio, exp(z * sigma_log)) times the healthy median; after a "
        "rollback, until the run is back where it was, also above min_ratio x the pre-rollback median"
    )

    def __init__(
        self, z: float = 8.0, min_ratio: float = 10.0, warmup: int = 24, extreme: float = 100.0
    ) -> None:
        if z <= 0 or min_ratio <= 1 or warmup < 1 or extreme <= 1:
            raise ValueError(
                "need z > 0, min_ratio > 1, warmup >= 1, extreme > 1; "
                f"got {z}, {min_ratio}, {warmup}, {extreme}"
            )
        self.z, self.min_ratio, self.warmup, self.extreme = z, min_ratio, warmup, extreme
        self._key: tuple[int, int] = (-1, -1)
        self._threshold = math.inf
        self._judge: Reference | None = None  # the reference that set the threshold
        self._memory = RollbackMemory()

    @classmethod
    def from_config(cls, config: MonitorConfig) -> GradExplosionDetector:
        return cls(
            config.explosion_z, config.explosion_min_ratio, config.warmup_steps, config.warmup_extreme_ratio
        )

    def _early(self, window: SignalWindow, exclude_last: bool) -> float:
        """Inside the warm-up there is no reference yet, only the few norms seen so far: their
        median times `extreme` is a bar no warm-up explains (clean early norms vary < 10x)."""
        n = window.count - (1 if exclude_last else 0)
        grads = window.values("grad_norm", window.count)
        if exclude_last:
            grads = grads[:-1] if len(grads) and grads[-1] == window.last_grad else grads
        if n < 1 or len(grads) < 1:
            return FLOAT_MAX
        return float(self.extreme * np.median(grads))

    def _threshold_of(self, ref: Reference) -> float:
        # a noisy run's sigma bar is capped at `extreme` x 10 the median: one unclipped step at
        # thousands x poisons Adam's second moment for the rest of the run (cnn1d's e^(6 sigma)
        # passed 8560x); clean runs stay below ~200x
        cap = math.log(10 * self.extreme)
        log_margin = min(max(math.log(self.min_ratio), self.z * ref.log_grad_scale), cap)
        return math.exp(ref.log_grad_median + log_margin)

    def _limit(self, window: SignalWindow, ref: Reference) -> float:
        carried = self._memory.carried(window)
        key = (ref.version, carried.version if carried is not None else -1)
        if key != self._key:
            self._threshold, self._judge = self._threshold_of(ref), ref
            if carried is not None:
                limit = self.min_ratio * carried.grad_median
                if limit < self._threshold:
                    self._threshold, self._judge = limit, carried
            self._key = key
        return self._threshold

    def quiet_below(self, window: SignalWindow) -> tuple[float, float]:
        ref = window.reference
        if ref is None or window.count + 1 < self.warmup:
            self._memory.carried(window)  # a reset must not go unseen
            return FLOAT_MAX, self._early(window, exclude_last=False)
        return FLOAT_MAX, self._limit(window, ref)

    def observe(self, step: int, window: SignalWindow) -> Finding | None:
        ref = window.reference
        if ref is None or window.count < self.warmup:
            self._memory.carried(window)
            return self._early_finding(step, window)
        grad = window.last_grad
        if not grad > self._limit(window, ref) or math.isinf(grad):  # NaN/Inf: the nan detector's job
            return None
        judge = self._judge if self._judge is not None else ref
        evidence = {
            "grad_norm": float(grad),
            "ref_grad_norm": judge.grad_median,
            "ratio": float(grad / judge.grad_median),
            "z": (math.log(grad) - judge.log_grad_median) / judge.log_grad_scale,
        }
        if judge is not ref:
            evidence["pre_rollback"] = 1.0
        return Finding(self.name, step, evidence)

    def _early_finding(self, step: int, window: SignalWindow) -> Finding | None:
        grad = window.last_grad
        limit = self._early(window, exclude_last=True)
        if not grad > limit or math.isinf(grad):
            return None
        median = limit / self.extreme
        return Finding(
            self.name,
            step,
            {"grad_norm": float(grad), "ref_grad_norm": median, "ratio": float(grad / median), "warmup": 1.0},
        )
