import math

import numpy as np
import pytest

from sentinel.monitor.detectors import PlateauDetector

SCALES = (0.01, 1.0, 70.0, 1e4)


@pytest.mark.parametrize("scale", SCALES)
def test_stuck_at_start_level_is_a_plateau(sig, scale):
    loss = scale * np.exp(0.05 * np.random.default_rng(0).standard_normal(300))
    found = sig.replay(PlateauDetector(), loss, update_ratio=2e-6)
    assert found and found[0].step <= 128
    assert found[0].evidence["elevation"] == pytest.approx(1.0, abs=0.05)
    assert found[0].evidence["update_ratio"] == pytest.approx(2e-6)


@pytest.mark.parametrize("scale", SCALES)
def test_learning_run_is_silent(sig, scale):
    for seed in range(5):
        assert sig.replay(PlateauDetector(), sig.curve(800, scale, seed)) == []


def test_flat_after_learning_is_not_a_plateau(sig):
    """Late flattening at 20% of the start level is convergence, not a stall."""
    loss = np.concatenate([np.geomspace(1.0, 0.2, 150), np.full(400, 0.2)])
    assert sig.replay(PlateauDetector(), loss) == []


def test_update_ratio_is_left_out_when_unmeasured(sig):
    found = sig.replay(PlateauDetector(), np.ones(300))
    assert found and "update_ratio" not in found[0].evidence
    assert all(math.isfinite(v) for v in found[0].evidence.values())


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="elevated"):
        PlateauDetector(elevated=1.5)


def test_crawling_with_tiny_updates_is_a_plateau_but_not_with_healthy_ones(sig):
    """cnn1d at lr=1e-5: loss still drifting down a few % per 24 steps, at |dw|/|w| ~ 1e-5."""
    loss = np.geomspace(1.0, 0.9, 80) * np.exp(0.02 * np.random.default_rng(1).standard_normal(80))
    assert sig.replay(PlateauDetector(), loss, update_ratio=1e-5)
    assert sig.replay(PlateauDetector(), loss, update_ratio=1e-2) == []


def test_crawling_is_judged_from_the_end_of_warmup(sig):
    """A hopeless LR is caught at the first trend check (step 32), not after a full patience."""
    loss = np.exp(0.02 * np.random.default_rng(2).standard_normal(80))
    found = sig.replay(PlateauDetector(), loss, update_ratio=8e-6)
    assert found and found[0].step == 32
    assert found[0].evidence["lr_median"] == pytest.approx(1e-3)  # replay's constant LR


def test_stalling_still_needs_the_full_patience(sig):
    """Early in a healthy run the loss may pause (digits with SGD warm-up: 2% gain at step 32)."""
    loss = np.exp(0.02 * np.random.default_rng(3).standard_normal(80))
    found = sig.replay(PlateauDetector(), loss, update_ratio=5e-3)
    assert found == [] or found[0].step >= 48
    assert sig.replay(PlateauDetector(), loss[:47], update_ratio=math.nan) == []


def _collapse(sig, steps: int = 200, level: float = 0.83, grad_after: float = 0.025, scale: float = 1.0):
    """The constant predictor: the loss drops to `level` of its start within 10 steps and stays,
    the gradients fall to `grad_after` of theirs."""
    rng = np.random.default_rng(4)
    t = np.arange(steps)
    loss = (
        scale
        * np.where(t < 10, 1.0 - (1.0 - level) * t / 10, level)
        * np.exp(0.01 * rng.standard_normal(steps))
    )
    grads = np.where(t < 10, 6.0, 6.0 * grad_after) * np.exp(0.4 * rng.standard_normal(steps))
    return loss, grads


@pytest.mark.parametrize("scale", SCALES)
def test_collapse_to_the_constant_predictor_is_a_plateau(sig, scale):
    loss, grads = _collapse(sig, scale=scale)
    found = sig.replay(PlateauDetector(), loss, grads, update_ratio=5e-3)
    assert found and found[0].step == 64
    assert found[0].evidence["grad_drop"] == pytest.approx(0.025, rel=0.5)
    assert found[0].evidence["elevation"] < 0.9


def test_stalled_high_with_live_gradients_is_no_collapse(sig):
    """The VAE: stalls at 30-40% of its start with gradients at 0.2-0.4 of theirs."""
    loss, grads = _collapse(sig, level=0.6, grad_after=0.3)
    assert sig.replay(PlateauDetector(), loss, grads, update_ratio=5e-3) == []


def test_collapsed_gradients_after_real_learning_are_convergence(sig):
    """cnn1d on ppg_hr: gradients at 1/15 of the start, but the loss at 2% of it."""
    loss, grads = _collapse(sig, level=0.02, grad_after=0.05)
    assert sig.replay(PlateauDetector(), loss, grads, update_ratio=5e-3) == []


def test_collapse_needs_the_start_in_the_window(sig):
    loss, grads = _collapse(sig, steps=400)
    found = sig.replay(PlateauDetector(), loss, grads, update_ratio=5e-3)
    assert found and all(f.step <= 256 for f in found)
