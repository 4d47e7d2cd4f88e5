"""Shared builders for the monitor tests: hand-made signals fed into a real SignalWindow, and a
tiny real PyTorch regression task for the action and loop tests."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import numpy as np
import pytest

from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors import Detector, Finding
from sentinel.monitor.signals import SignalWindow

SCALES = (0.01, 1.0, 70.0, 1e4)


def make_window(config: MonitorConfig | None = None) -> SignalWindow:
    cfg = config or MonitorConfig()
    return SignalWindow(
        cfg.window, cfg.ref_window, cfg.refresh_every, cfg.start_steps, cfg.ewma_alpha, cfg.mad_floor_rel
    )


def healthy_curve(
    steps: int, scale: float = 1.0, seed: int = 0, noise: float = 0.1, floor: float = 0.2
) -> np.ndarray:
    """A loss that decays from `scale` towards `floor * scale` with multiplicative minibatch noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    base = scale * (floor + (1 - floor) * np.exp(-t / 150.0))
    return base * np.exp(noise * rng.standard_normal(steps))


def healthy_grads(steps: int, scale: float = 1.0, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return scale * np.exp(0.25 * rng.standard_normal(steps))


def replay(
    detector: Detector,
    loss: Sequence[float],
    grad: Sequence[float] | None = None,
    window: SignalWindow | None = None,
    update_ratio: float = float("nan"),
    every: int | None = None,
) -> list[Finding]:
    """Feed the series step by step and collect the detector's findings at its own cadence."""
    win = window or make_window()
    grad = grad if grad is not None else np.ones(len(loss))
    cadence = 1 if detector.per_step else (every or MonitorConfig().refresh_every)
    found: list[Finding] = []
    for step, (value, norm) in enumerate(zip(loss, grad, strict=True)):
        win.push(step, float(value), float(norm), 1e-3)
        win.update_ratio = update_ratio
        if step % cadence == 0:
            finding = detector.observe(step, win)
            if finding is not None:
                found.append(finding)
    return found


@pytest.fixture
def sig() -> SimpleNamespace:
    """The signal builders above, as a fixture so test modules need no helper imports."""
    return SimpleNamespace(
        make_window=make_window, curve=healthy_curve, grads=healthy_grads, replay=replay, scales=SCALES
    )
