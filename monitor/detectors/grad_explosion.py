"""Gradient explosion: this step's global gradient norm is a robust outlier of the run's own norms."""

from __future__ import annotations

import math

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors._base import FLOAT_MAX, Detector, Finding
from sentinel.monitor.signals import Reference, SignalWindow

__all__ = ["GradExplosionDetector"]


class GradExplosionDetector(Detector):
    """Judged on log(norm) so the test is scale-free and symmetric in ratio: the norm must exceed
    the healthy median by `min_ratio` and by `z` robust sigmas of log-norm. Near convergence
    norms are heavy tailed (200x the median happens in clean classification runs), but only a
    few sigmas on the log scale. The threshold is cached per reference version, so a healthy
    step costs one comparison."""

    name = "grad_explosion"
    per_step = True
    summary = "gradient norm above max(min_ratio, exp(z * sigma_log)) times the healthy median"

    def __init__(self, z: float = 8.0, min_ratio: float = 10.0, warmup: int = 24) -> None:
        if z <= 0 or min_ratio <= 1 or warmup < 1:
            raise ValueError(f"need z > 0, min_ratio > 1, warmup >= 1; got {z}, {min_ratio}, {warmup}")
        self.z, self.min_ratio, self.warmup = z, min_ratio, warmup
        self._version = -1
        self._threshold = math.inf

    @classmethod
    def from_config(cls, config: MonitorConfig) -> GradExplosionDetector:
        return cls(config.explosion_z, config.explosion_min_ratio, config.warmup_steps)

    def _limit(self, ref: Reference) -> float:
        if ref.version != self._version:
            log_margin = max(math.log(self.min_ratio), self.z * ref.log_grad_scale)
            self._threshold = math.exp(ref.log_grad_median + log_margin)
            self._version = ref.version
        return self._threshold

    def quiet_below(self, window: SignalWindow) -> tuple[float, float]:
        ref = window.reference
        if ref is None or window.count + 1 < self.warmup:
            return FLOAT_MAX, FLOAT_MAX
        return FLOAT_MAX, self._limit(ref)

    def observe(self, step: int, window: SignalWindow) -> Finding | None:
        ref = window.reference
        if ref is None or window.count < self.warmup:
            return None
        grad = window.last_grad
        if not grad > self._limit(ref) or math.isinf(grad):  # NaN/Inf: the nan detector's job
            return None
        return Finding(
            self.name,
            step,
            {
                "grad_norm": float(grad),
                "ref_grad_norm": ref.grad_median,
                "ratio": float(grad / ref.grad_median),
                "z": (math.log(grad) - ref.log_grad_median) / ref.log_grad_scale,
            },
        )
