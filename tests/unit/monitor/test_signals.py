import math

import numpy as np
import pytest

from sentinel.monitor.signals import SignalWindow, robust_center_scale


def _window(capacity=16, ref=8, refresh=4):
    return SignalWindow(capacity, ref, refresh, start_steps=3, ewma_alpha=0.5, mad_floor_rel=0.02)


def test_series_is_chronological_after_wrapping():
    win = _window()
    for step in range(40):
        win.push(step, float(step), 1.0, 0.1)
    s = win.series(16)
    assert s["step"].tolist() == list(range(24, 40))
    assert s["loss"].tolist() == [float(x) for x in range(24, 40)]
    assert win.series(5)["step"].tolist() == list(range(35, 40))


def test_flagged_steps_are_kept_out_of_the_reference():
    win = _window()
    for step in range(12):
        win.push(step, 1.0, 1.0, 0.1)
        if step == 10:
            win.flag_last()
    win.push(12, 1.0, 1.0, 0.1)
    healthy = win.series(16, healthy=True)["step"].tolist()
    assert 10 not in healthy and 11 in healthy


def test_reference_never_contains_the_step_being_judged():
    win = _window(refresh=4)
    for step in range(8):
        win.push(step, 1.0, 1.0, 0.1)
    for step in range(8, 11):
        win.push(step, 1.0 + step, 1.0, 0.1)
    win.push(11, 1e6, 1e6, 0.1)  # refresh happens before this value goes in
    assert win.reference is not None and win.reference.count == 8  # steps 3..10
    assert win.reference.loss_median == 1.0 and win.reference.grad_median == 1.0


def test_start_loss_and_ewma():
    win = _window()
    for step, loss in enumerate([4.0, 2.0, 3.0, 100.0]):
        win.push(step, loss, 1.0, 0.1)
    assert win.start_loss == 3.0  # median of the first 3 finite losses
    assert win.ewma_loss == pytest.approx(((4.0 + 2.0) / 2 + 3.0) / 2 * 0.5 + 100.0 * 0.5)


def test_nonfinite_values_do_not_poison_statistics():
    win = _window()
    for step in range(12):
        win.push(step, math.nan if step == 5 else 1.0, math.inf if step == 6 else 1.0, 0.1)
    assert win.ewma_loss == 1.0 and win.ewma_min == 1.0
    assert win.reference is not None and win.reference.loss_median == 1.0


def test_state_round_trip_restores_history_and_bumps_version():
    win = _window()
    for step in range(10):
        win.push(step, float(step), 1.0, 0.1)
    state = win.state()
    version = win.reference.version
    for step in range(10, 30):
        win.push(step, 99.0, 1.0, 0.1)
    win.load_state(state)
    assert win.series(16)["loss"].tolist() == [float(x) for x in range(10)]
    assert win.count == 10 and win.reference.version > version


def test_reset_forgets_everything():
    win = _window()
    for step in range(10):
        win.push(step, 1.0, 1.0, 0.1)
    win.reset()
    assert win.count == 0 and win.reference is None and math.isnan(win.start_loss)
    assert win.series(16)["loss"].size == 0


def test_robust_scale_is_floored_relative_to_the_median():
    center, scale = robust_center_scale(np.full(10, 50.0), floor_rel=0.02)
    assert center == 50.0 and scale == pytest.approx(1.0)


def _adaptive(idle=128):
    return SignalWindow(256, 64, 32, start_steps=8, ewma_alpha=0.05, mad_floor_rel=0.02, refresh_idle=idle)


def test_a_settled_run_refreshes_only_every_refresh_idle_steps():
    win, rng = _adaptive(), np.random.default_rng(0)
    versions = []
    for step in range(1, 600):
        win.push(step, 1.0 + 0.05 * rng.standard_normal(), 1.0, 0.1)
        versions.append(win.reference.version if win.reference else 0)
    late = np.diff(versions[300:])
    assert late.sum() == len(late) // 128 or late.sum() == len(late) // 128 + 1  # every 128 pushes
    assert np.flatnonzero(late).size and np.all(np.diff(np.flatnonzero(late)) == 128)


def test_a_moving_loss_refreshes_every_refresh_every_steps():
    win = _adaptive()
    refreshes = 0
    for step in range(1, 600):
        before = win.reference
        win.push(step, 1.0 / step, 1.0, 0.1)  # falling fast: the smoothed loss leaves the reference
        refreshes += win.reference is not before
    assert refreshes >= 599 // 32 - 2
