import numpy as np
import pytest

from sentinel.monitor.detectors import OscillationDetector

SCALES = (0.01, 1.0, 70.0, 1e4)


def _noise(n: int, seed: int = 0, sigma: float = 0.1) -> np.ndarray:
    return np.exp(sigma * np.random.default_rng(seed).standard_normal(n))


@pytest.mark.parametrize("scale", SCALES)
def test_slow_swings_are_found_at_any_scale(sig, scale):
    t = np.arange(400)
    loss = scale * 0.5 * (1 + 0.4 * np.sin(2 * np.pi * t / 32)) * _noise(400)
    loss[:40] = scale * np.linspace(1.0, 0.5, 40)
    found = sig.replay(OscillationDetector(), loss)
    assert found and found[0].evidence["ratio"] >= 8
    assert found[0].step <= 200


@pytest.mark.parametrize("scale", SCALES)
def test_see_saw_is_found(sig, scale):
    t = np.arange(400)
    loss = scale * 0.5 * (1 + 0.3 * (-1.0) ** t) * _noise(400, sigma=0.05)
    loss[:40] = scale * np.linspace(1.0, 0.5, 40)
    found = sig.replay(OscillationDetector(), loss)
    assert found and found[0].evidence["autocorr"] <= -0.5


@pytest.mark.parametrize("scale", SCALES)
def test_clean_minibatch_noise_is_silent(sig, scale):
    for seed in range(5):
        assert sig.replay(OscillationDetector(), sig.curve(800, scale, seed, noise=0.4)) == []


def test_heavy_tailed_noise_near_zero_is_silent(sig):
    rng = np.random.default_rng(9)
    loss = np.concatenate([np.geomspace(0.7, 1e-3, 200), 1e-3 * np.exp(1.5 * rng.standard_normal(600))])
    assert sig.replay(OscillationDetector(), loss) == []


def test_steady_descent_with_noise_is_silent(sig):
    loss = np.geomspace(10.0, 0.1, 800) * _noise(800, sigma=0.3)
    assert sig.replay(OscillationDetector(), loss) == []
