"""The detector registry: one module per anomaly, listed here in the policy's priority order.

When several detectors fire on the same step the policy acts on the first one in `DETECTORS`:
a NaN outranks a spike (the step must be dropped either way), a spike outranks an explosion (a
bad batch also explodes the gradient, and dropping it beats clipping it), and per-step anomalies
outrank trends because they can still be stopped before the optimizer applies them.
"""

from __future__ import annotations

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors._base import Detector, Finding
from sentinel.monitor.detectors.divergence import DivergenceDetector
from sentinel.monitor.detectors.grad_explosion import GradExplosionDetector
from sentinel.monitor.detectors.loss_spike import LossSpikeDetector
from sentinel.monitor.detectors.nan import NanDetector
from sentinel.monitor.detectors.oscillation import OscillationDetector
from sentinel.monitor.detectors.plateau import PlateauDetector

__all__ = [
    "DETECTORS",
    "Detector",
    "DivergenceDetector",
    "Finding",
    "GradExplosionDetector",
    "LossSpikeDetector",
    "NanDetector",
    "OscillationDetector",
    "PlateauDetector",
    "build_detectors",
]

DETECTORS: tuple[type[Detector], ...] = (
    NanDetector,
    LossSpikeDetector,
    GradExplosionDetector,
    DivergenceDetector,
    OscillationDetector,
    PlateauDetector,
)


def build_detectors(config: MonitorConfig) -> tuple[Detector, ...]:
    """Instances in priority order; names must be unique because they are the anomaly enum."""
    return tuple(cls.from_config(config) for cls in DETECTORS)
