"""Loss spike: this step's loss is a robust (median/MAD) outlier above the run's recent losses."""

from __future__ import annotations

import math

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors._base import FLOAT_MAX, Detector, Finding
from sentinel.monitor.signals import Reference, SignalWindow

__all__ = ["LossSpikeDetector"]


class LossSpikeDetector(Detector):
    """A bad batch shows up as one loss far above the recent ones. The bar is the largest of
    `z` MAD-sigmas above the median, `min_rel` times |median| above it, and `tail_ratio` times the
    largest healthy loss of the reference window. All three are relative to the run's own
    history, so the test is scale-free; the last one matters because minibatch losses are heavy
    tailed (one misclassified sample in an otherwise perfect batch is a 10x "outlier" by MAD but
    harmless), while a corrupt batch lands far beyond anything the run has produced."""

    name = "loss_spike"
    per_step = True
    summary = "loss above median + max(z * MAD_sigma, min_rel * |median|) and above tail_ratio x window max"

    def __init__(
        self, z: float = 8.0, min_rel: float = 1.0, tail_ratio: float = 3.0, warmup: int = 24
    ) -> None:
        if z <= 0 or min_rel <= 0 or tail_ratio < 1 or warmup < 1:
            got = f"{z}, {min_rel}, {tail_ratio}, {warmup}"
            raise ValueError(f"need z > 0, min_rel > 0, tail_ratio >= 1, warmup >= 1; got {got}")
        self.z, self.min_rel, self.tail_ratio, self.warmup = z, min_rel, tail_ratio, warmup
        self._version = -1
        self._threshold = math.inf

    @classmethod
    def from_config(cls, config: MonitorConfig) -> LossSpikeDetector:
        return cls(config.spike_z, config.spike_min_rel, config.spike_tail_ratio, config.warmup_steps)

    def _limit(self, ref: Reference) -> float:
        if ref.version != self._version:
            margin = max(self.z * ref.loss_scale, self.min_rel * abs(ref.loss_median))
            tail = ref.loss_max + (self.tail_ratio - 1.0) * abs(ref.loss_max)
            self._threshold = max(ref.loss_median + margin, tail)
            self._version = ref.version
        return self._threshold

    def quiet_below(self, window: SignalWindow) -> tuple[float, float]:
        ref = window.reference
        if ref is None or window.count + 1 < self.warmup:
            return FLOAT_MAX, FLOAT_MAX
        return self._limit(ref), FLOAT_MAX

    def observe(self, step: int, window: SignalWindow) -> Finding | None:
        ref = window.reference
        if ref is None or window.count < self.warmup:
            return None
        self._limit(ref)
        loss = window.last_loss
        if not loss > self._threshold or math.isinf(loss):
            return None
        return Finding(
            self.name,
            step,
            {
                "loss": float(loss),
                "ref_loss": ref.loss_median,
                "z": (loss - ref.loss_median) / ref.loss_scale,
                "rel": (loss - ref.loss_median) / max(abs(ref.loss_median), 1e-12),
                "ref_max": ref.loss_max,
            },
        )
