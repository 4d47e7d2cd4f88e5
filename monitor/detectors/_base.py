"""What a detector is: a pure judge of a `SignalWindow` that never acts on the run.

Acting is `policy.py`'s job; keeping detectors free of torch and side effects lets `monitor bench`
and the unit tests replay them on hand-made signals, and lets the policy weigh several findings.
"""

from __future__ import annotations

import math
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.signals import SignalWindow

__all__ = ["FLOAT_MAX", "Detector", "Finding"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One anomaly seen at one step; `evidence` holds finite numbers only (the host reads it)."""

    anomaly: str
    step: int
    evidence: dict[str, float]

    def __post_init__(self) -> None:
        for key, value in self.evidence.items():
            if not isinstance(value, float) or not math.isfinite(value):
                raise ValueError(f"evidence {key!r} must be a finite float, got {value!r}")


class Detector(ABC):
    """`per_step` detectors run on every step before the optimizer moves (they can still save it);
    the others judge trends and run every `trend_every` steps, which keeps the hot path cheap."""

    name: ClassVar[str]
    per_step: ClassVar[bool]
    summary: ClassVar[str]  # one line for `sentinel monitor spec`

    @classmethod
    @abstractmethod
    def from_config(cls, config: MonitorConfig) -> Detector:
        """Build from the run's thresholds; each detector reads only the fields it documents."""

    @abstractmethod
    def observe(self, step: int, window: SignalWindow) -> Finding | None:
        """Pure: the same window gives the same answer, so a benchmark can replay it offline."""

    def quiet_below(self, window: SignalWindow) -> tuple[float, float]:
        """(loss, grad norm) at or below which this detector cannot fire on the window's next step
        until its reference changes. The hook takes a comparison-only fast path under the lowest
        bounds of all per-step detectors; (-inf, -inf), the default, means "always ask me"."""
        return -math.inf, -math.inf

    def thresholds(self) -> dict[str, float]:
        """The numbers this detector compares against, for the generated spec."""
        return {k: float(v) for k, v in vars(self).items() if not k.startswith("_")}


FLOAT_MAX = sys.float_info.max  # a finite "no limit": Inf and NaN still fail `x <= FLOAT_MAX`
