"""Momentum shortening: only horizons longer than 10 steps, never below 10, caps kept."""

import torch

from sentinel.monitor.actions._momentum import apply_momentum_caps, shorten_momentum


def _params():
    return [torch.nn.Parameter(torch.zeros(2))]


def test_a_long_sgd_horizon_is_shortened_and_capped():
    opt = torch.optim.SGD(_params(), lr=0.1, momentum=0.99)
    caps: dict[str, float] = {}
    assert abs(shorten_momentum(opt, 4.0, caps) - 0.96) < 1e-12
    opt.param_groups[0]["momentum"] = 0.99  # a restore loaded the old value
    apply_momentum_caps(opt, caps)
    assert abs(opt.param_groups[0]["momentum"] - 0.96) < 1e-12


def test_never_below_a_ten_step_horizon():
    opt = torch.optim.SGD(_params(), lr=0.1, momentum=0.95)
    assert abs(shorten_momentum(opt, 4.0, {}) - 0.9) < 1e-12


def test_the_usual_ten_step_horizons_are_left_alone():
    adam = torch.optim.AdamW(_params(), lr=1e-3)
    caps: dict[str, float] = {}
    assert shorten_momentum(adam, 4.0, caps) == 0.9 and adam.param_groups[0]["betas"] == (0.9, 0.999)
    sgd = torch.optim.SGD(_params(), lr=0.1, momentum=0.5)
    assert shorten_momentum(sgd, 4.0, caps) == 0.5
