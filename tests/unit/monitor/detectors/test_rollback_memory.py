"""After a rollback, per-step detectors also judge by the reference of just before it."""

import numpy as np
import pytest

from sentinel.monitor.detectors import GradExplosionDetector, LossSpikeDetector
from sentinel.monitor.detectors._carry import RollbackMemory


def _wild_then_calm(sig, steps: int = 160, calm_from: int = 64, scale: float = 1.0):
    """Early gradient norms spread 10-fold around a high level, then a calm, lower phase."""
    rng = np.random.default_rng(0)
    grads = np.where(
        np.arange(steps) < calm_from,
        scale * 4.0 * np.exp(1.2 * rng.standard_normal(steps)),
        scale * 0.8 * np.exp(0.3 * rng.standard_normal(steps)),
    )
    return sig.curve(steps), grads


def _feed(win, detector, loss, grad, start: int = 0) -> list:
    found = []
    for step in range(start, len(loss)):
        win.push(step, float(loss[step]), float(grad[step]), 1e-3)
        detector.quiet_below(win)
        finding = detector.observe(step, win)
        if finding is not None:
            found.append(finding)
    return found


@pytest.mark.parametrize("scale", (0.01, 1.0, 1e4))
def test_explosion_after_a_rollback_is_judged_by_the_pre_rollback_reference(sig, scale):
    loss, grad = _wild_then_calm(sig, scale=scale)
    win, det = sig.make_window(), GradExplosionDetector()
    _feed(win, det, loss[:64], grad[:64])
    snapshot = win.state()  # a healthy snapshot at count 64: its statistics span the wild start
    assert _feed(win, det, loss[:130], grad[:130], start=64) == []
    win.load_state(snapshot)  # the rollback
    burst = grad.copy()
    burst[64:100] = grad[64:100] * 30.0  # 30x the calm level: inside the wild phase's spread
    found = _feed(win, det, loss[:100], burst[:100], start=64)
    assert [f.step for f in found] == list(range(64, 100))
    assert found[0].evidence["pre_rollback"] == 1.0
    assert found[0].evidence["ref_grad_norm"] == pytest.approx(0.8 * scale, rel=0.3)


def test_without_a_rollback_the_same_burst_can_pass(sig):
    """The control: judged by the wild restored statistics alone, 30x is normal."""
    loss, grad = _wild_then_calm(sig)
    win, det = sig.make_window(), GradExplosionDetector()
    _feed(win, det, loss[:64], grad[:64])
    burst = grad.copy()
    burst[64:70] *= 30.0
    assert _feed(win, det, loss[:70], burst[:70], start=64) == []


def test_healthy_replay_after_a_rollback_is_silent(sig):
    loss, grad = _wild_then_calm(sig)
    win, det, spike = sig.make_window(), GradExplosionDetector(), LossSpikeDetector()
    for step in range(64):
        win.push(step, float(loss[step]), float(grad[step]), 1e-3)
        det.quiet_below(win), spike.quiet_below(win)
    snapshot = win.state()
    for step in range(64, 130):
        win.push(step, float(loss[step]), float(grad[step]), 1e-3)
        det.observe(step, win), spike.observe(step, win)
    win.load_state(snapshot)
    replayed = []
    for step in range(64, 160):
        win.push(step, float(loss[step]), float(grad[step]), 1e-3)
        replayed += [f for f in (det.observe(step, win), spike.observe(step, win)) if f is not None]
    assert replayed == []


def test_loss_spike_after_a_rollback_uses_the_tighter_reference(sig):
    rng = np.random.default_rng(2)
    loss = np.where(np.arange(160) < 64, np.exp(1.5 * rng.standard_normal(160)), 0.01)
    loss = loss * np.exp(0.05 * rng.standard_normal(160))
    win, det = sig.make_window(), LossSpikeDetector()
    _feed(win, det, loss[:64], np.ones(64))
    snapshot = win.state()
    _feed(win, det, loss[:130], np.ones(130), start=64)
    win.load_state(snapshot)
    bad = loss.copy()
    bad[70:75] = 0.2  # 20x the calm level, well inside the wild start's spread
    found = _feed(win, det, bad[:80], np.ones(80), start=64)
    assert [f.step for f in found] == [70, 71, 72, 73, 74]
    assert found[0].evidence["pre_rollback"] == 1.0


def test_memory_forgets_on_a_reset_and_once_the_run_is_back(sig):
    loss, grad = _wild_then_calm(sig)
    win, memory = sig.make_window(), RollbackMemory()
    for step in range(64):
        win.push(step, float(loss[step]), float(grad[step]), 1e-3)
        memory.carried(win)
    snapshot = win.state()
    for step in range(64, 100):
        win.push(step, float(loss[step]), float(grad[step]), 1e-3)
        memory.carried(win)
    before = win.reference
    win.load_state(snapshot)
    assert memory.carried(win) is before
    for step in range(64, 101):
        win.push(step, float(loss[step]), float(grad[step]), 1e-3)
        memory.carried(win)
    assert memory.carried(win) is None  # count 101 > 100: back where the rollback came from
    win.load_state(snapshot)
    assert memory.carried(win) is not None
    win.reset()  # a re-init or a fresh restart: the old statistics describe another model
    assert memory.carried(win) is None


def test_rollback_to_a_window_without_reference_carries_nothing(sig):
    loss, grad = _wild_then_calm(sig)
    win, memory = sig.make_window(), RollbackMemory()
    empty = win.state()
    for step in range(100):
        win.push(step, float(loss[step]), float(grad[step]), 1e-3)
        memory.carried(win)
    win.load_state(empty)  # the initial snapshot: the first steps are legitimately wild
    assert memory.carried(win) is None
