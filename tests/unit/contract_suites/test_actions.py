"""One contract suite run over every action in `monitor.actions.ACTIONS`: registered once under its
enumerated name, a cost and a one-line summary, and `apply` on a real model mid-training returns
the finite numbers it really used, drops the step exactly when it says it does, and leaves the
model's weights finite. A new action that misses any of this fails here."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from sentinel.contract.vocabulary import ACTIONS as ACTION_NAMES
from sentinel.monitor.actions import ACTIONS, Action, ActionContext
from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.loop import LoopControl
from sentinel.monitor.signals import SignalWindow
from sentinel.monitor.snapshots import SnapshotStore

from ._implementations import concrete_subclasses, registered_once

# The parameters the policy hands each action (monitor/policy.py); an action that needs others
# adds its row here, and one with none works from {}.
POLICY_PARAMS: dict[str, dict[str, float]] = {
    "clip": {"max_norm": 0.5},
    "lr_cut": {"factor": 0.5, "momentum": 0.9},
    "lr_restart": {"factor": 2.0},
    "rollback": {"factor": 0.5, "skip_data": 1.0},
    "reinit": {"factor": 1.0},
}
NAMES = sorted(ACTIONS)


def _rig() -> SimpleNamespace:
    """A real tiny model after a few real Adam steps, with snapshots taken as the monitor does."""
    torch.manual_seed(0)
    config = MonitorConfig()
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1000, gamma=0.5)
    ctl = LoopControl(model, opt, sched)
    window = SignalWindow(
        config.window,
        config.ref_window,
        config.refresh_every,
        config.start_steps,
        config.ewma_alpha,
        config.mad_floor_rel,
    )
    snapshots = SnapshotStore(config.snapshots_kept)
    snapshots.take(ctl, window, initial=True)
    for step in range(1, 61):
        x = torch.randn(16, 4)
        opt.zero_grad()
        loss = (model(x) - x.sum(1, keepdim=True)).pow(2).mean()
        loss.backward()
        opt.step()
        sched.step()
        ctl.current_step = step
        window.push(step, float(loss.detach()), 1.0, ctl.lr)
        if step % 20 == 0:
            snapshots.take(ctl, window)
    x = torch.randn(16, 4)
    opt.zero_grad()
    (model(x) - x.sum(1, keepdim=True)).pow(2).mean().backward()  # gradients of the step being judged
    window.push(61, 1.0, 1.0, ctl.lr)
    ctl.current_step = 61
    ctx = ActionContext(window, snapshots, config, episode_start=0, in_backward=True)
    return SimpleNamespace(model=model, ctl=ctl, ctx=ctx)


def test_every_action_is_registered_once_under_its_own_name() -> None:
    found = concrete_subclasses(Action, "sentinel.monitor.actions")
    assert registered_once(found, [type(a) for a in ACTIONS.values()]) == []
    assert all(key == action.name for key, action in ACTIONS.items())


@pytest.mark.parametrize("name", NAMES)
def test_declares_an_enumerated_name_a_cost_and_a_summary(name: str) -> None:
    action = ACTIONS[name]
    assert name in ACTION_NAMES  # the host's vocabulary reads it back from monitor_events.jsonl
    assert isinstance(action.cost, float) and action.cost >= 0.0 and math.isfinite(action.cost)
    assert isinstance(action.summary, str) and action.summary.strip() and "\n" not in action.summary
    assert isinstance(action.drops_step, bool)


@pytest.mark.parametrize("name", NAMES)
def test_apply_reports_finite_numbers_and_keeps_the_model_finite(name: str) -> None:
    rig = _rig()
    used = ACTIONS[name].apply(rig.ctl, dict(POLICY_PARAMS.get(name, {})), rig.ctx)
    assert isinstance(used, dict)
    assert all(isinstance(k, str) and isinstance(v, float) and math.isfinite(v) for k, v in used.items())
    assert all(torch.isfinite(p).all() for p in rig.model.parameters())
    assert rig.ctl.lr > 0 and math.isfinite(rig.ctl.lr)


@pytest.mark.parametrize("name", NAMES)
def test_drops_the_step_exactly_when_it_says_so(name: str) -> None:
    action = ACTIONS[name]
    rig = _rig()
    action.apply(rig.ctl, dict(POLICY_PARAMS.get(name, {})), rig.ctx)
    if action.drops_step:
        assert rig.ctl.skip_this  # called from after_backward: the optimizer must not step
    rig = _rig()
    rig.ctx.in_backward = False
    action.apply(rig.ctl, dict(POLICY_PARAMS.get(name, {})), rig.ctx)
    assert not rig.ctl.skip_this  # outside backward there is no step to drop
