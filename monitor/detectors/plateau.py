"""Plateau at elevated loss: the run has barely moved from where it started and is not getting
anywhere, either stalled outright or crawling with updates too small to matter."""

from __future__ import annotations

import math

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors._base import Detector, Finding
from sentinel.monitor.signals import SignalWindow, median_of

__all__ = ["PlateauDetector"]


class PlateauDetector(Detector):
    """Ratios of the run's own signals, so the test is scale-free. `elevation` is the recent
    median over the start level (near 1: the run has barely learnt anything); `gain` is the
    relative drop between the two halves of the last `patience` steps. A plateau is an elevated
    loss that is either stalled (`gain < min_gain`) or crawling: still moving, but with an
    update/weight ratio below `update_ratio_low`, i.e. the LR is too small for the run to get
    anywhere in its budget (cnn1d at lr=1e-5 drops 8% per 24 steps at |dw|/|w| ~ 1e-5).
    A run that has already learnt (elevation well below 1) is never a plateau here: late flattening
    is convergence. The update ratio goes into the evidence because it tells the policy *why*.

    Crawling is judged from the end of warm-up, on the `patience // 2` or more losses there are:
    the evidence is the update ratio, not the loss trend, and every step spent at a hopeless LR is
    lost from the run's budget (under a decaying schedule, the best part of it). Stalling needs
    the full `patience`, because early in a healthy run the loss may pause before it falls.

    The median LR of the recent steps goes into the evidence too: a crawl found at the first
    trend check may be a warm-up still ramping, which the policy must not answer with a restart."""

    name = "plateau"
    per_step = False
    summary = (
        "last `patience` steps: recent/start loss >= elevated, and gain < min_gain or "
        "update ratio < update_ratio_low (from warm-up on)"
    )

    def __init__(
        self,
        patience: int = 48,
        elevated: float = 0.9,
        min_gain: float = 0.02,
        update_ratio_low: float = 5e-4,
        warmup: int = 24,
    ) -> None:
        if patience < 8 or not 0 < elevated < 1 or min_gain <= 0 or update_ratio_low <= 0:
            raise ValueError(
                f"need patience >= 8, 0 < elevated < 1, min_gain > 0, update_ratio_low > 0; got "
                f"{patience}, {elevated}, {min_gain}, {update_ratio_low}"
            )
        self.patience, self.elevated, self.min_gain = patience, elevated, min_gain
        self.update_ratio_low, self.warmup = update_ratio_low, warmup

    @classmethod
    def from_config(cls, config: MonitorConfig) -> PlateauDetector:
        return cls(
            config.plateau_patience,
            config.plateau_elevated,
            config.plateau_min_gain,
            config.plateau_update_ratio_low,
            config.warmup_steps,
        )

    def observe(self, step: int, window: SignalWindow) -> Finding | None:
        # the start level: the lower of the loss before any update and the median of the first
        # steps, so that a first update that made things worse does not lift the bar
        start = min(window.start_loss, window.initial_loss)
        if window.count < self.warmup or not math.isfinite(start) or start <= 0:
            return None
        ratio = window.update_ratio
        crawling = math.isfinite(ratio) and ratio < self.update_ratio_low
        if window.count < self.patience and not crawling:
            return None
        loss = window.healthy_losses()[-self.patience :]
        if len(loss) < self.patience // 2:
            return None
        half = len(loss) // 2
        before, now = median_of(loss[:half]), median_of(loss[half:])
        elevation = now / start
        gain = (before - now) / max(abs(before), 1e-12)
        stalled = gain < self.min_gain and window.count >= self.patience
        if elevation < self.elevated or not (stalled or crawling):
            return None
        evidence = {"loss": now, "start_loss": start, "elevation": elevation, "gain": gain}
        if math.isfinite(ratio):
            evidence["update_ratio"] = ratio
        lr = window.lr_median()  # the policy's "is a warm-up still raising the LR?" baseline
        if math.isfinite(lr) and lr > 0:
            evidence["lr_median"] = lr
        return Finding(self.name, step, evidence)
