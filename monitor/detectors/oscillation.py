"""Oscillation: the loss swings up and down far more than its own minibatch noise explains."""

from __future__ import annotations

import numpy as np

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors._base import Detector, Finding
from sentinel.monitor.signals import SignalWindow, fast_median

__all__ = ["OscillationDetector"]


class OscillationDetector(Detector):
    """Minibatch noise makes raw sign changes and coefficients of variation useless (both are
    large in every healthy run, more so as the loss nears zero), so the test is a variance ratio
    against the run's own noise. The last `window` healthy losses are detrended (a steady descent
    is progress, not oscillation) and cut into blocks of `block` steps. `ratio` compares the
    spread of successive block means with what the within-block noise predicts (about 1 for pure
    noise); slow swings push it up and flip direction on at least `sign_changes` of the moves.
    Step-to-step see-saw (period 2) cancels inside blocks, so it is caught separately by a lag-1
    autocorrelation below `-anticorr`. Either pattern must also swing the loss by more than `cv`
    of the run's start level (material: near convergence a loss of 1e-4 swinging by 20x is
    noise) and show no net progress. Every quantity is a ratio, so the test is scale-free."""

    name = "oscillation"
    per_step = False
    summary = (
        "detrended block means vary > ratio x the within-block noise with >= sign_changes flips, "
        "or lag-1 autocorrelation < -anticorr; swings > cv of the start loss; no net progress"
    )

    def __init__(
        self,
        window: int = 96,
        block: int = 8,
        ratio: float = 8.0,
        sign_changes: float = 0.5,
        cv: float = 0.1,
        anticorr: float = 0.5,
        warmup: int = 24,
    ) -> None:
        if block < 2 or window < 4 * block or ratio <= 1 or cv <= 0 or not 0 < sign_changes <= 1:
            raise ValueError(
                f"need block >= 2, window >= 4*block, ratio > 1, cv > 0, 0 < sign_changes <= 1;"
                f" got {window}, {block}, {ratio}, {cv}, {sign_changes}"
            )
        if not 0 < anticorr < 1:
            raise ValueError(f"anticorr must be in (0, 1), got {anticorr}")
        self.window, self.block, self.ratio, self.sign_changes = window, block, ratio, sign_changes
        self.cv, self.anticorr, self.warmup = cv, anticorr, warmup

    @classmethod
    def from_config(cls, config: MonitorConfig) -> OscillationDetector:
        return cls(
            config.oscillation_window,
            config.oscillation_block,
            config.oscillation_ratio,
            config.oscillation_sign_changes,
            config.oscillation_cv,
            config.oscillation_anticorr,
            config.warmup_steps,
        )

    def observe(self, step: int, window: SignalWindow) -> Finding | None:
        start = abs(window.start_loss)
        if window.count < self.warmup + self.window or not start > 0:
            return None
        recent = window.healthy_losses()[-self.window :]
        # residuals about the fitted line span at most twice the raw range: if even that cannot
        # reach `cv` of the start level, skip the arithmetic (the usual case, late in training)
        if not recent or 2.0 * (max(recent) - min(recent)) < self.cv * start:
            return None
        loss = np.array(recent, dtype=np.float64)
        n = loss.size - loss.size % self.block
        if n < 4 * self.block:
            return None
        loss = loss[loss.size - n :]
        level = max(abs(fast_median(loss)), 1e-12)
        t = np.arange(n, dtype=np.float64) - (n - 1) / 2.0  # centred: least squares in closed form
        mean = float(loss.mean())
        slope = float(np.dot(t, loss - mean) / np.dot(t, t))
        resid = loss - (mean + slope * t)
        lo, hi = n // 10, n - 1 - n // 10
        ranked = np.partition(resid, (lo, hi))
        swing = float(ranked[hi] - ranked[lo]) / start  # 10th to 90th percentile span
        progress = -float(slope) * n / start  # fraction of the start level gained over the window
        if swing < self.cv or progress > 0.5 * swing:
            return None
        blocks = resid.reshape(-1, self.block)
        noise = fast_median(blocks.var(axis=1, ddof=1))
        moves = np.diff(blocks.mean(axis=1))
        ratio = float(np.mean(moves**2)) / max(2.0 * noise / self.block, 1e-300)
        signs = np.sign(moves)
        flips = float(np.mean(signs[1:] != signs[:-1]))
        centred = resid - resid.mean()
        denom = float(np.dot(centred, centred))
        autocorr = float(np.dot(centred[1:], centred[:-1])) / denom if denom > 0 else 0.0
        slow = ratio >= self.ratio and flips >= self.sign_changes
        seesaw = autocorr <= -self.anticorr
        if not (slow or seesaw):
            return None
        return Finding(
            self.name,
            step,
            {
                "loss": level,
                "swing": swing,
                "ratio": ratio,
                "flips": flips,
                "autocorr": autocorr,
                "progress": progress,
            },
        )
