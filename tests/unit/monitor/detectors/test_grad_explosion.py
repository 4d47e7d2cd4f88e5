import numpy as np
import pytest

from sentinel.monitor.detectors import GradExplosionDetector

SCALES = (0.01, 1.0, 70.0, 1e4)


@pytest.mark.parametrize("scale", SCALES)
def test_explosion_is_found_at_any_grad_scale(sig, scale):
    grads = sig.grads(300, scale)
    grads[200:205] *= 100.0
    found = sig.replay(GradExplosionDetector(), sig.curve(300), grads)
    assert [f.step for f in found] == [200, 201, 202, 203, 204]
    assert found[0].evidence["ratio"] > 50
    assert found[0].evidence["ref_grad_norm"] == pytest.approx(scale, rel=0.3)


@pytest.mark.parametrize("scale", SCALES)
def test_clean_norms_are_silent(sig, scale):
    for seed in range(5):
        assert sig.replay(GradExplosionDetector(), sig.curve(600), sig.grads(600, scale, seed)) == []


def test_moderate_rise_is_not_an_explosion(sig):
    grads = sig.grads(300)
    grads[200:] *= 4.0  # a regime change, not an explosion
    assert sig.replay(GradExplosionDetector(), sig.curve(300), grads) == []


def test_heavy_tailed_clean_norms_are_silent(sig):
    """Near convergence a classifier's norms span orders of magnitude; the tail guard holds."""
    rng = np.random.default_rng(3)
    grads = np.exp(1.5 * rng.standard_normal(800)) * 1e-3
    grads[:24] = np.exp(0.3 * rng.standard_normal(24)) * 1e-3  # a fresh model's norms: no heavy tail yet
    assert sig.replay(GradExplosionDetector(), sig.curve(800), grads) == []


def test_only_extreme_norms_during_warmup(sig):
    """Inside the warm-up only a norm `extreme` x the median so far fires (no grace for 100x)."""
    grads = sig.grads(100)
    grads[10] *= 20  # a large but plausible early norm: left alone
    assert sig.replay(GradExplosionDetector(warmup=24), sig.curve(100), grads) == []
    grads[12] *= 1e4
    [finding] = sig.replay(GradExplosionDetector(warmup=24), sig.curve(100), grads)
    assert finding.step == 12 or finding.step == 13
    assert finding.evidence["warmup"] == 1.0 and finding.evidence["ratio"] > 100


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="min_ratio"):
        GradExplosionDetector(min_ratio=1.0)
