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


@pytest.mark.parametrize("scale", SCALES)
def test_blow_up_over_the_initial_loss_is_found_on_the_step(sig, scale):
    """Too high an LR: the first update makes the loss 1000x worse than at init."""
    loss = np.array([1.0, 1200.0, 150.0, 155.0]) * scale
    found = sig.replay(DivergenceDetector(), loss)
    assert [f.step for f in found] == [1, 2, 3]
    assert found[0].evidence["above_start"] == pytest.approx(1200.0)


def test_clean_early_bump_is_not_a_blow_up(sig):
    """ppg_hr/cnn1d's clean run goes 0.84 -> 1.57 on its second step (1.9x)."""
    loss = np.array([0.84, 1.57, 0.92, 1.3, 0.35, 0.29, 0.39, 0.26] + [0.2] * 50)
    assert sig.replay(DivergenceDetector(), loss) == []


def test_slow_climb_with_a_steep_best_window_is_found(sig):
    """digits with SGD at lr=0.5: down to 0.5, then back up to 1.4 over 100 steps."""
    rng = np.random.default_rng(4)
    loss = np.concatenate([np.linspace(2.3, 0.5, 80), np.linspace(0.5, 1.4, 100), np.full(80, 1.4)])
    loss *= np.exp(0.25 * rng.standard_normal(loss.size))
    found = sig.replay(DivergenceDetector(), loss)
    assert found and 100 < found[0].step < 200
