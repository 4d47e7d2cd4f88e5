import math

import pytest

from sentinel.monitor.detectors import NanDetector


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nonfinite_loss_is_found_from_step_zero(sig, bad):
    found = sig.replay(NanDetector(), [bad, 1.0, 1.0])
    assert [f.step for f in found] == [0]
    assert found[0].evidence == {"loss_finite": 0.0, "grad_finite": 1.0}


def test_nonfinite_grad_is_found(sig):
    found = sig.replay(NanDetector(), [1.0] * 5, grad=[1.0, 1.0, math.inf, 1.0, math.nan])
    assert [f.step for f in found] == [2, 4]
    assert all(f.evidence["grad_finite"] == 0.0 for f in found)


@pytest.mark.parametrize("scale", [0.01, 1.0, 70.0, 1e4])
def test_finite_signals_at_any_scale_are_silent(sig, scale):
    assert sig.replay(NanDetector(), sig.curve(300, scale), sig.grads(300, scale)) == []
