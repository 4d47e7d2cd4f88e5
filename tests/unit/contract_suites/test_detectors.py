"""One contract suite run over every detector in `monitor.detectors.DETECTORS` (as optuna runs one
storage suite over every storage): a new detector that is not registered, or does not keep the
contract `_base.Detector` states, fails here without a test of its own."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from sentinel.contract.vocabulary import ANOMALIES
from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.detectors import DETECTORS, Detector, Finding
from sentinel.monitor.signals import SignalWindow

from ._implementations import concrete_subclasses, registered_once

IDS = [cls.__name__ for cls in DETECTORS]


def _window(config: MonitorConfig) -> SignalWindow:
    return SignalWindow(
        config.window,
        config.ref_window,
        config.refresh_every,
        config.start_steps,
        config.ewma_alpha,
        config.mad_floor_rel,
    )


def _series(kind: str, steps: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(loss, grad norm) per step: a healthy decaying run, or one of the faults detectors exist for."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    loss = (0.2 + 0.8 * np.exp(-t / 150.0)) * np.exp(0.1 * rng.standard_normal(steps))
    grad = np.exp(0.25 * rng.standard_normal(steps))
    if kind == "spike":
        loss[300:] *= 50.0
        grad[300:] *= 1e3
    elif kind == "nan":
        loss[300:] = math.nan
        grad[300:] = math.inf
    elif kind == "rise":
        loss[250:] *= np.exp(np.linspace(0.0, 6.0, steps - 250))
    return loss, grad


def _replay(detector: Detector, kind: str, config: MonitorConfig) -> list[Finding]:
    window, found = _window(config), []
    cadence = 1 if detector.per_step else config.trend_every
    loss, grad = _series(kind)
    for step, (value, norm) in enumerate(zip(loss, grad, strict=True)):
        window.push(step, float(value), float(norm), 1e-3)
        if step % cadence == 0:
            finding = detector.observe(step, window)
            if finding is not None:
                found.append(finding)
                if detector.per_step:
                    window.flag_last()  # as the policy does when it contains a step
    return found


def test_every_detector_is_registered_once_with_a_unique_name() -> None:
    found = concrete_subclasses(Detector, "sentinel.monitor.detectors")
    assert registered_once(found, DETECTORS) == []
    names = [cls.name for cls in DETECTORS]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("cls", DETECTORS, ids=IDS)
def test_declares_an_enumerated_name_its_cadence_and_a_summary(cls: type[Detector]) -> None:
    assert cls.name in ANOMALIES  # the host's vocabulary reads it back from monitor_events.jsonl
    assert isinstance(cls.per_step, bool)
    assert isinstance(cls.summary, str) and cls.summary.strip() and "\n" not in cls.summary


@pytest.mark.parametrize("cls", DETECTORS, ids=IDS)
def test_builds_from_any_valid_config_and_states_finite_thresholds(cls: type[Detector]) -> None:
    for config in (MonitorConfig(), MonitorConfig.from_params({"trend_every": 10, "start_steps": 30})):
        detector = cls.from_config(config)
        assert type(detector) is cls
        thresholds = detector.thresholds()
        assert all(isinstance(k, str) and isinstance(v, float) for k, v in thresholds.items())
        assert all(not math.isnan(v) for v in thresholds.values())


@pytest.mark.parametrize("cls", DETECTORS, ids=IDS)
@pytest.mark.parametrize("kind", ["healthy", "spike", "nan", "rise"])
def test_findings_name_the_detector_the_step_and_finite_evidence(cls: type[Detector], kind: str) -> None:
    config = MonitorConfig()
    detector = cls.from_config(config)
    found = _replay(detector, kind, config)
    for finding in found:
        assert isinstance(finding, Finding) and finding.anomaly == cls.name
        assert all(isinstance(v, float) and math.isfinite(v) for v in finding.evidence.values())
    if kind == "healthy":
        assert found == []  # no false alarm on a healthy decaying run


def test_every_fault_is_caught_by_some_detector() -> None:
    config = MonitorConfig()
    for kind in ("spike", "nan", "rise"):
        caught = {cls.name for cls in DETECTORS if _replay(cls.from_config(config), kind, config)}
        assert caught, f"no detector fires on a {kind}"


def _state(window: SignalWindow) -> dict[str, object]:
    """What the window holds, less its private memo caches (filled lazily by any reader)."""
    return {k: v for k, v in vars(window).items() if not k.startswith("_") or k in RINGS}


RINGS = ("_loss", "_grad", "_lr", "_step", "_flag", "_ok_loss", "_ok_grad", "_start")


@pytest.mark.parametrize("cls", DETECTORS, ids=IDS)
def test_observe_is_pure(cls: type[Detector]) -> None:
    """The same window gives the same answer and is left as it was: `monitor bench` replays it."""
    config = MonitorConfig()
    detector = cls.from_config(config)
    window = _window(config)
    loss, grad = _series("spike")
    for step in range(320):
        window.push(step, float(loss[step]), float(grad[step]), 1e-3)
        if step % 10 == 0 or step > 295:
            before = copy.deepcopy(_state(window))
            first, second = detector.observe(step, window), detector.observe(step, window)
            assert first == second
            after = _state(window)
            for key in before:
                assert repr(before[key]) == repr(after[key]), f"observe changed window.{key}"


@pytest.mark.parametrize("cls", [c for c in DETECTORS if c.per_step], ids=lambda c: c.__name__)
def test_quiet_below_is_a_promise(cls: type[Detector]) -> None:
    """A per-step detector's quiet bounds: a next step at or below them never fires."""
    config = MonitorConfig()
    detector = cls.from_config(config)
    window = _window(config)
    loss, grad = _series("healthy")
    for step in range(300):
        window.push(step, float(loss[step]), float(grad[step]), 1e-3)
    low_loss, low_grad = detector.quiet_below(window)
    assert isinstance(low_loss, float) and isinstance(low_grad, float)
    if math.isfinite(low_loss) and math.isfinite(low_grad):
        window.push(300, low_loss, low_grad, 1e-3)
        assert detector.observe(300, window) is None
