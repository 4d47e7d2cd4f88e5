"""Divergence: the recent loss window sits well above the best earlier window of the same run."""

from __future__ import annotations

import math

import numpy as np

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors._base import Detector, Finding
from sentinel.monitor.signals import SignalWindow, robust_center_scale

__all__ = ["DivergenceDetector"]


class DivergenceDetector(Detector):
    """Compares the median of the last `window` healthy losses with the lowest median of the
    earlier windows (non-overlapping, same length). Three conditions, all relative to the run
    itself: a relative rise (`ratio`), a rise in robust sigmas of that best window (`z`, so a
    noisy-but-flat run does not trip it), and a rise that undoes at least `lost` of the progress
    made from the start level down to the best window. The last one is why a loss wobbling from
    0.003 to 0.03 near convergence (10x, yet 4% of the progress) is not a divergence while a run
    climbing back towards where it started is one."""

    name = "divergence"
    per_step = False
    summary = (
        "recent median > ratio x best earlier window, z sigmas above it, undoing >= lost of the progress"
    )

    def __init__(
        self,
        window: int = 24,
        ratio: float = 1.5,
        z: float = 6.0,
        lost: float = 0.2,
        warmup: int = 24,
        floor_rel: float = 0.02,
    ) -> None:
        if window < 4 or ratio <= 1 or z <= 0 or lost <= 0:
            raise ValueError(
                f"need window >= 4, ratio > 1, z > 0, lost > 0; got {window}, {ratio}, {z}, {lost}"
            )
        self.window, self.ratio, self.z, self.lost = window, ratio, z, lost
        self.warmup, self.floor_rel = warmup, floor_rel

    @classmethod
    def from_config(cls, config: MonitorConfig) -> DivergenceDetector:
        return cls(
            config.divergence_window,
            config.divergence_ratio,
            config.divergence_z,
            config.divergence_lost,
            config.warmup_steps,
            config.mad_floor_rel,
        )

    def observe(self, step: int, window: SignalWindow) -> Finding | None:
        if window.count < max(self.warmup, 2 * self.window):
            return None
        loss = window.series(window.capacity, healthy=True)["loss"]
        loss = loss[np.isfinite(loss)]
        w = self.window
        if loss.size < 2 * w:
            return None
        recent = float(np.median(loss[-w:]))
        earlier = loss[:-w]
        blocks = earlier[earlier.size % w :].reshape(-1, w)
        best_i = int(np.argmin(np.median(blocks, axis=1)))
        best, scale = robust_center_scale(blocks[best_i], self.floor_rel)
        rise = recent - best
        rel = rise / max(abs(best), 1e-12)
        z = rise / scale
        start = window.start_loss
        progress = start - best if math.isfinite(start) else math.inf
        lost = rise / progress if progress > 0 else math.inf  # no progress yet: any rise is material
        if rel < self.ratio - 1 or z < self.z or lost < self.lost:
            return None
        evidence = {
            "loss": recent,
            "best_loss": best,
            "rel_rise": rel,
            "z": z,
            "best_age": float((blocks.shape[0] - best_i) * w),
        }
        if math.isfinite(lost):
            evidence["progress_lost"] = lost
        return Finding(self.name, step, evidence)
