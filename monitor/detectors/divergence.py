"""Divergence: the loss has climbed well above where this run has already been (or started)."""

from __future__ import annotations

import math

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors._base import FLOAT_MAX, Detector, Finding
from sentinel.monitor.signals import SignalWindow, center_scale_of, median_of

__all__ = ["DivergenceDetector"]

_MEDIAN_SE = 1.2533  # the standard error of a sample median is ~1.2533 sigma / sqrt(n)


class DivergenceDetector(Detector):
    """Two tests, both relative to the run itself.

    *Blow-up* (every step, from step 2): the loss exceeds `start_ratio` times the run's initial
    loss, i.e. the model is far worse than before it was trained. A too-high LR does this on the
    very first update (ppg_hr/mlp: 14x at lr=0.03, 1200x at lr=0.08; clean runs peak at 2.6x),
    long before any window statistics exist, so it needs no warm-up. Evidence `above_start`.

    *Trend* (every `trend_every` steps after warm-up): the median of the last `window` healthy
    losses against the lowest median of the earlier windows (non-overlapping, same length). It
    needs a relative rise (`ratio`), a rise of `z` standard errors of the difference of the two
    medians (robust sigma of the best window: a noisy but flat run does not trip it) and a rise
    giving back at least `lost` of the progress from the start level to the best window: a loss
    wobbling from 0.003 to 0.03 near convergence is 10x, yet 4% of the progress, and is not a
    divergence.
    """

    name = "divergence"
    per_step = True  # the blow-up test is one comparison; the trend test keeps its own cadence
    summary = (
        "loss > start_ratio x initial loss (any step); or recent median > ratio x best earlier window, "
        "z standard errors above it, giving back >= lost of the progress"
    )

    def __init__(
        self,
        window: int = 24,
        ratio: float = 1.5,
        z: float = 6.0,
        lost: float = 0.2,
        start_ratio: float = 5.0,
        warmup: int = 24,
        every: int = 8,
        floor_rel: float = 0.02,
    ) -> None:
        if window < 4 or ratio <= 1 or z <= 0 or lost <= 0 or start_ratio <= 1 or every < 1:
            raise ValueError(
                f"need window >= 4, ratio > 1, z > 0, lost > 0, start_ratio > 1, every >= 1; got "
                f"{window}, {ratio}, {z}, {lost}, {start_ratio}, {every}"
            )
        self.window, self.ratio, self.z, self.lost, self.start_ratio = window, ratio, z, lost, start_ratio
        self.warmup, self.every, self.floor_rel = warmup, every, floor_rel

    @classmethod
    def from_config(cls, config: MonitorConfig) -> DivergenceDetector:
        return cls(
            config.divergence_window,
            config.divergence_ratio,
            config.divergence_z,
            config.divergence_lost,
            config.divergence_start_ratio,
            config.warmup_steps,
            config.trend_every,
            config.mad_floor_rel,
        )

    def quiet_below(self, window: SignalWindow) -> tuple[float, float]:
        """Blow-up bound only: the hook takes the slow path on every `every`-th step for the trend."""
        initial = window.initial_loss
        return (self.start_ratio * initial if initial > 0 else FLOAT_MAX), FLOAT_MAX

    def observe(self, step: int, window: SignalWindow) -> Finding | None:
        initial, loss = window.initial_loss, window.last_loss
        if initial > 0 and loss > self.start_ratio * initial and not math.isinf(loss):
            return Finding(
                self.name,
                step,
                {
                    "loss": loss,
                    "initial_loss": initial,
                    "above_start": loss / initial,
                    # how far the run had got at this LR before (smoothed): the policy's cause test
                    "best_ratio": min(window.ewma_min / initial, 1.0)
                    if math.isfinite(window.ewma_min)
                    else 1.0,
                },
            )
        if window.count % self.every or window.count < max(self.warmup, 2 * self.window):
            return None
        # a cheap pre-check: a rise of `ratio` in block medians lifts the ~20-step smoothed loss
        # about as far above its lowest value; while it has not risen half as much, skip the medians
        ewma, low = window.ewma_loss, window.ewma_min
        if low > 0 and ewma < low * (1.0 + (self.ratio - 1.0) / 2):
            return None
        return self._trend(step, window)

    def _trend(self, step: int, window: SignalWindow) -> Finding | None:
        loss = window.healthy_losses()  # pure Python: at these sizes it beats numpy's call overhead
        w = self.window
        if len(loss) < 2 * w:
            return None
        recent = median_of(loss[-w:])
        first = (len(loss) - w) % w
        blocks = [loss[i : i + w] for i in range(first, len(loss) - w, w)]
        medians = [median_of(b) for b in blocks]
        best_i = min(range(len(medians)), key=medians.__getitem__)
        best, scale = center_scale_of(blocks[best_i], self.floor_rel)
        rise = recent - best
        rel = rise / max(abs(best), 1e-12)
        z = rise / (scale * _MEDIAN_SE * math.sqrt(2.0 / w))  # in standard errors of the difference
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
            "best_age": float((len(blocks) - best_i) * w),
        }
        if math.isfinite(lost):
            evidence["progress_lost"] = lost
        return Finding(self.name, step, evidence)
