import numpy as np
import pytest

from sentinel.monitor.detectors import DivergenceDetector

SCALES = (0.01, 1.0, 70.0, 1e4)


@pytest.mark.parametrize("scale", SCALES)
def test_rising_loss_is_found_at_any_scale(sig, scale):
    loss = sig.curve(400, scale)
    loss[250:] *= np.exp(np.arange(150) / 15.0)  # grows e-fold every 15 steps
    found = sig.replay(DivergenceDetector(), loss)
    assert found, "divergence not found"
    assert 250 < found[0].step <= 290
    assert found[0].evidence["rel_rise"] >= 0.5


@pytest.mark.parametrize("scale", SCALES)
def test_clean_descent_is_silent(sig, scale):
    for seed in range(5):
        assert sig.replay(DivergenceDetector(), sig.curve(800, scale, seed)) == []


def test_wobble_near_convergence_is_not_divergence(sig):
    """0.003 -> 0.03 is 10x, yet it gives back 4% of the progress from 0.7: not material."""
    loss = np.concatenate([np.geomspace(0.7, 0.003, 200), np.full(100, 0.003), np.full(60, 0.03)])
    loss *= np.exp(0.05 * np.random.default_rng(0).standard_normal(loss.size))
    assert sig.replay(DivergenceDetector(), loss) == []


def test_rise_from_the_start_is_divergence(sig):
    """A run that never learnt and climbs (too high an LR from step 0) has no progress to lose."""
    loss = np.exp(np.arange(200) / 60.0)
    found = sig.replay(DivergenceDetector(), loss)
    assert found and found[0].step <= 120
    assert found[0].evidence.get("progress_lost", float("inf")) > 0.2


def test_noisy_flat_run_is_silent(sig):
    loss = 1.0 * np.exp(0.4 * np.random.default_rng(2).standard_normal(800))
    assert sig.replay(DivergenceDetector(), loss) == []
