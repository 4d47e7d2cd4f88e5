"""Optimizers and LR schedules: the factors each schedule gives, scaling, exact state."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from sentinel.sandbox.runtime.optim import Schedule, build_optimizer, lr_factor

from .conftest import make_config


def _cfg(**trainer: object) -> dict:
    return make_config(**trainer)["trainer"]


def _lrs(cfg: dict, total: int, steps: int) -> list[float]:
    opt = build_optimizer([torch.nn.Parameter(torch.zeros(1))], cfg)
    sched = Schedule(opt, cfg, total)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        sched.step()
    return out


def test_optimizer_kinds() -> None:
    params = [torch.nn.Parameter(torch.zeros(2))]
    assert isinstance(build_optimizer(params, _cfg(optimizer="adamw")), torch.optim.AdamW)
    sgd = build_optimizer(params, _cfg(optimizer="sgd", lr=0.1, momentum=0.5))
    assert isinstance(sgd, torch.optim.SGD) and sgd.param_groups[0]["momentum"] == 0.5


def test_constant_and_warmup() -> None:
    assert _lrs(_cfg(lr=0.1, schedule="constant"), 10, 3) == [0.1, 0.1, 0.1]
    lrs = _lrs(_cfg(lr=0.1, schedule="warmup", warmup_steps=4), 10, 6)
    assert lrs == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1])


def test_cosine_decays_to_min_ratio() -> None:
    lrs = _lrs(_cfg(lr=1.0, schedule="cosine", min_lr_ratio=0.1), 10, 11)
    assert lrs[0] == 1.0 and lrs[5] == pytest.approx(0.55) and lrs[10] == pytest.approx(0.1)
    assert all(a >= b for a, b in itertools.pairwise(lrs))


def test_step_schedule_after_warmup() -> None:
    lrs = _lrs(_cfg(lr=1.0, schedule="step", step_size=2, gamma=0.5, warmup_steps=2), 20, 8)
    assert lrs == pytest.approx([0.5, 1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25])


def test_lr_factor_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError):
        lr_factor("linear", 0, 10, 0, 1, 0.5, 0.0)


def test_scale_and_state_round_trip() -> None:
    cfg = _cfg(lr=1.0, schedule="cosine")
    opt = build_optimizer([torch.nn.Parameter(torch.zeros(1))], cfg)
    sched = Schedule(opt, cfg, 10)
    for _ in range(3):
        sched.step()
    before = opt.param_groups[0]["lr"]
    state = sched.state_dict()
    sched.scale(0.1)
    assert opt.param_groups[0]["lr"] == pytest.approx(before * 0.1)
    sched.step()
    sched.load_state_dict(state)
    assert opt.param_groups[0]["lr"] == before and sched.t == 3
    assert math.isclose(sched.base_lrs[0], 1.0)


def test_sgd_and_adamw_reduce_a_quadratic() -> None:
    for name in ("sgd", "adamw"):
        w = torch.nn.Parameter(torch.tensor([3.0]))
        opt = build_optimizer([w], _cfg(optimizer=name, lr=0.1))
        for _ in range(50):
            opt.zero_grad()
            (w**2).sum().backward()
            opt.step()
        assert abs(float(w.detach())) < 1.0, name
