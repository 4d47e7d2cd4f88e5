"""Plateau at elevated loss: the run has barely moved from where it started and is not getting
anywhere, either stalled outright, crawling with updates too small to matter, or collapsed."""

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

    *Collapse* lowers the elevation bar to `collapse_elevated` for a stalled loss whose gradient
    norms have fallen to `collapse_grad` of their start level (`grad_drop`, evidence): a model
    reduced to the constant predictor (ecg_rhythm at lr=0.1 sits at ln 4, 0.83 of its start, with
    gradients at 1/40 of theirs) has no signal left to learn from. In 9 traced clean runs, those
    whose gradients shrink 10-fold have learnt far more (cnn1d on ppg_hr: 1/15 at 2% of its start
    loss), and the one that stays high keeps its gradients (the VAE: 30-50% of its start loss,
    gradients at 0.2-0.4 of theirs). Measured only while the start is still in the window.
    The median LR of the recent steps goes into the evidence too: a crawl found at the first
    trend check may be a warm-up still ramping, which the policy must not answer with a restart."""

    name = "plateau"
    per_step = False
    summary = (
        "last `patience` steps: recent/start loss >= elevated, and gain < min_gain or "
        "update ratio < update_ratio_low (from warm-up on); or recent/start loss >= "
        "collapse_elevated, gain < min_gain and grad norm <= collapse_grad x its start level"
    )

    def __init__(
        self,
        patience: int = 48,
        elevated: float = 0.9,
        min_gain: float = 0.02,
        update_ratio_low: float = 5e-4,
        warmup: int = 24,
        collapse_elevated: float = 0.5,
        collapse_grad: float = 0.1,
    ) -> None:
        if patience < 8 or not 0 < elevated < 1 or min_gain <= 0 or update_ratio_low <= 0:
            raise ValueError(
                f"need patience >= 8, 0 < elevated < 1, min_gain > 0, update_ratio_low > 0; got "
                f"{patience}, {elevated}, {min_gain}, {update_ratio_low}"
            )
        if not 0 < collapse_elevated < 1 or not 0 < collapse_grad < 1:
            got = f"{collapse_elevated}, {collapse_grad}"
            raise ValueError(f"need 0 < collapse_elevated < 1, 0 < collapse_grad < 1; got {got}")
        self.patience, self.elevated, self.min_gain = patience, elevated, min_gain
        self.update_ratio_low, self.warmup = update_ratio_low, warmup
        self.collapse_elevated, self.collapse_grad = collapse_elevated, collapse_grad

    @classmethod
    def from_config(cls, config: MonitorConfig) -> PlateauDetector:
        return cls(
            config.plateau_patience,
            config.plateau_elevated,
            config.plateau_min_gain,
            config.plateau_update_ratio_low,
            config.warmup_steps,
            config.plateau_collapse_elevated,
            config.plateau_collapse_grad,
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
        drop = self._grad_drop(window, half) if stalled and elevation >= self.collapse_elevated else math.nan
        plateau = elevation >= self.elevated and (stalled or crawling)
        if not (plateau or drop <= self.collapse_grad):
            return None
        evidence = {"loss": now, "start_loss": start, "elevation": elevation, "gain": gain}
        if math.isfinite(ratio):
            evidence["update_ratio"] = ratio
        if math.isfinite(drop):
            evidence["grad_drop"] = drop
        lr = window.lr_median()  # the policy's "is a warm-up still raising the LR?" baseline
        if math.isfinite(lr) and lr > 0:
            evidence["lr_median"] = lr
        return Finding(self.name, step, evidence)

    @staticmethod
    def _grad_drop(window: SignalWindow, recent: int) -> float:
        """Median grad norm of the last `recent` healthy steps over that of the run's first
        `start_steps`; NaN once the start has left the window."""
        if window.count > window.capacity:
            return math.nan
        grads = window.values("grad_norm", window.capacity).tolist()
        if len(grads) < window.start_steps + recent:
            return math.nan
        first = median_of(grads[: window.start_steps])
        return median_of(grads[-recent:]) / first if first > 0 else math.nan
