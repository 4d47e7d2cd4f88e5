"""NaN/Inf in the loss or the gradient norm: the one detector with no warm-up and no statistics."""

from __future__ import annotations

import math

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors._base import FLOAT_MAX, Detector, Finding
from sentinel.monitor.signals import SignalWindow

__all__ = ["NanDetector"]


class NanDetector(Detector):
    """A single non-finite value poisons Adam's moments and the weights, so it is judged on every
    step from step 0, before the optimizer can apply it."""

    name = "nan"
    per_step = True
    summary = "loss or gradient norm is NaN/Inf at this step"

    @classmethod
    def from_config(cls, config: MonitorConfig) -> NanDetector:
        return cls()

    def quiet_below(self, window: SignalWindow) -> tuple[float, float]:
        return FLOAT_MAX, FLOAT_MAX  # a non-finite value fails every `<=` test anyway

    def observe(self, step: int, window: SignalWindow) -> Finding | None:
        loss, grad = window.last_loss, window.last_grad
        if loss - loss == 0 and grad - grad == 0:  # both finite (cheapest test on the hot path)
            return None
        return Finding(
            self.name,
            step,
            {"loss_finite": float(math.isfinite(loss)), "grad_finite": float(math.isfinite(grad))},
        )
