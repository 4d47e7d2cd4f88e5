"""Plateau at elevated loss: progress has stalled while the loss is still near where it started."""

from __future__ import annotations

import math

import numpy as np

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors._base import Detector, Finding
from sentinel.monitor.signals import SignalWindow

__all__ = ["PlateauDetector"]


class PlateauDetector(Detector):
    """Two ratios of the run's own losses, so the test is scale-free: `elevation` is the recent
    median over the start level (near 1 means the run has barely learnt anything) and `gain` is
    the relative drop between the two halves of the last `patience` steps. A run that has already
    learnt (elevation well below 1) is never a plateau here: late-training flattening is normal.
    The update/weight ratio goes into the evidence because it tells the policy *why* it stalled."""

    name = "plateau"
    per_step = False
    summary = "last `patience` steps: recent/start loss >= elevated and relative gain < min_gain"

    def __init__(
        self, patience: int = 96, elevated: float = 0.9, min_gain: float = 0.02, warmup: int = 24
    ) -> None:
        if patience < 8 or not 0 < elevated < 1 or min_gain <= 0:
            raise ValueError(
                f"need patience >= 8, 0 < elevated < 1, min_gain > 0; got {patience}, {elevated}, {min_gain}"
            )
        self.patience, self.elevated, self.min_gain, self.warmup = patience, elevated, min_gain, warmup

    @classmethod
    def from_config(cls, config: MonitorConfig) -> PlateauDetector:
        return cls(
            config.plateau_patience, config.plateau_elevated, config.plateau_min_gain, config.warmup_steps
        )

    def observe(self, step: int, window: SignalWindow) -> Finding | None:
        start = window.start_loss
        if window.count < max(self.warmup, self.patience) or not math.isfinite(start) or start <= 0:
            return None
        loss = window.series(self.patience, healthy=True)["loss"]
        loss = loss[np.isfinite(loss)]
        if loss.size < self.patience // 2:
            return None
        half = loss.size // 2
        before, now = float(np.median(loss[:half])), float(np.median(loss[half:]))
        elevation = now / start
        gain = (before - now) / max(abs(before), 1e-12)
        if elevation < self.elevated or gain >= self.min_gain:
            return None
        evidence = {"loss": now, "start_loss": start, "elevation": elevation, "gain": gain}
        if math.isfinite(window.update_ratio):
            evidence["update_ratio"] = window.update_ratio
        return Finding(self.name, step, evidence)
