import numpy as np
import pytest

from sentinel.monitor.detectors import LossSpikeDetector

SCALES = (0.01, 1.0, 70.0, 1e4)


@pytest.mark.parametrize("scale", SCALES)
def test_spike_is_found_at_any_loss_scale(sig, scale):
    loss = sig.curve(300, scale)
    loss[220] *= 20.0
    found = sig.replay(LossSpikeDetector(), loss)
    assert [f.step for f in found] == [220]
    assert found[0].evidence["rel"] > 10
    assert found[0].evidence["z"] > 8


@pytest.mark.parametrize("scale", SCALES)
def test_clean_losses_are_silent(sig, scale):
    for seed in range(5):
        assert sig.replay(LossSpikeDetector(), sig.curve(600, scale, seed)) == []


def test_small_bump_is_not_a_spike(sig):
    loss = sig.curve(300)
    loss[220] *= 1.5
    assert sig.replay(LossSpikeDetector(), loss) == []


def test_heavy_tailed_minibatch_losses_are_silent(sig):
    """A near-perfect classifier: most batches ~1e-4, a few with one mistake ~1e-2."""
    rng = np.random.default_rng(5)
    loss = 1e-4 * np.exp(rng.standard_normal(800))
    loss[rng.random(800) < 0.03] = 1e-2
    loss[:50] = np.linspace(0.7, 1e-3, 50)
    assert sig.replay(LossSpikeDetector(), loss) == []


def test_negative_losses_work(sig):
    loss = -5.0 + 0.05 * np.random.default_rng(0).standard_normal(300)
    loss[250] = 20.0
    assert [f.step for f in sig.replay(LossSpikeDetector(), loss)] == [250]


def test_steady_descent_is_silent(sig):
    """Falling fast is progress: only upward outliers count."""
    loss = np.geomspace(1e3, 1e-2, 400)
    assert sig.replay(LossSpikeDetector(), loss) == []


def test_memorisation_noise_after_a_long_fall_is_silent(sig):
    """ppg_hr/mlp over 160 epochs: the loss falls 10^4-fold, then single batches sit 5-25x above
    a median of 1e-4. Relative to the run's own start level that is noise, not a poisoned step."""
    loss = _fallen_10000_fold()
    loss[[450, 500, 520, 560]] = 1e-4 * np.array([6.0, 12.0, 15.0, 25.0])
    assert sig.replay(LossSpikeDetector(), loss) == []
    # the start-level bar is what keeps them quiet: without it all four would be "spikes"
    assert len(sig.replay(LossSpikeDetector(min_start_rel=0.0), loss)) == 4


def test_a_jump_back_towards_the_start_level_after_a_long_fall_is_a_spike(sig):
    loss = _fallen_10000_fold()
    loss[560] = 0.4
    assert [f.step for f in sig.replay(LossSpikeDetector(), loss)] == [560]


def _fallen_10000_fold() -> np.ndarray:
    rng = np.random.default_rng(3)
    level = np.concatenate([np.geomspace(1.0, 1e-4, 300), np.full(300, 1e-4)])
    return level * np.exp(0.1 * rng.standard_normal(600))
