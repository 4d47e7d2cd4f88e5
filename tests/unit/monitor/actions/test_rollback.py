import pytest
import torch

from sentinel.monitor.actions import ACTIONS


def _state(rig):
    weights = {k: v.clone() for k, v in rig.model.state_dict().items()}
    moments = [rig.opt.state[p]["exp_avg"].clone() for p in rig.model.parameters()]
    return weights, moments


def test_rollback_restores_exact_weights_optimizer_state_and_window(rig):
    rig.train(5)
    rig.snapshots.take(rig.ctl, rig.window)
    weights, moments = _state(rig)
    history = rig.window.series(256)["loss"].tolist()
    rig.train(20)
    rig.ctx.episode_start = rig.ctl.step + rig.cfg.divergence_window
    params = ACTIONS["rollback"].apply(rig.ctl, {"factor": 1.0}, rig.ctx)
    assert params["restored"] == 1.0 and params["to_step"] == 5.0
    for key, value in rig.model.state_dict().items():
        assert torch.equal(value, weights[key])
    for p, m in zip(rig.model.parameters(), moments, strict=True):
        assert torch.equal(rig.opt.state[p]["exp_avg"], m)
    assert rig.window.series(256)["loss"].tolist() == history
    assert rig.ctl.skip_this  # the gradients of the current (bad) step are dropped


def test_rollback_restores_rng_so_the_run_replays_exactly(rig):
    rig.train(3)
    rig.snapshots.take(rig.ctl, rig.window)
    rig.train(4)
    after_first = {k: v.clone() for k, v in rig.model.state_dict().items()}
    rig.ctx.episode_start = 10**6
    ACTIONS["rollback"].apply(rig.ctl, {"factor": 1.0}, rig.ctx)
    rig.train(4)
    for key, value in rig.model.state_dict().items():
        assert torch.equal(value, after_first[key])


def test_rollback_keeps_the_lower_lr_and_applies_its_cut(rig):
    rig.snapshots.take(rig.ctl, rig.window)  # lr 1e-2 in the snapshot
    for g in rig.opt.param_groups:
        g["lr"] = 0.5  # e.g. an LR spike after the snapshot
    rig.ctx.episode_start = 10**6
    ACTIONS["rollback"].apply(rig.ctl, {"factor": 0.3}, rig.ctx)
    assert abs(rig.ctl.lr - 3e-3) < 1e-12


def test_rollback_targets_a_snapshot_from_before_the_trouble(rig):
    rig.snapshots.take(rig.ctl, rig.window, initial=True)
    rig.train(10)
    rig.snapshots.take(rig.ctl, rig.window)  # step 10
    rig.train(30)
    rig.snapshots.take(rig.ctl, rig.window)  # step 40, inside the trouble
    rig.train(5)
    rig.ctx.episode_start = 45  # divergence seen late: the rise began a window earlier
    params = ACTIONS["rollback"].apply(rig.ctl, {"factor": 1.0}, rig.ctx)
    assert params["to_step"] == 10.0
    assert [s.step for s in rig.snapshots.recent] == [10]  # the later one described a lost future


def test_rollback_to_the_initial_snapshot_when_asked(rig):
    """A plateau at the start level: the initial weights, not the newest (possibly wrecked) ones."""
    rig.snapshots.take(rig.ctl, rig.window, initial=True)
    first = {k: v.clone() for k, v in rig.model.state_dict().items()}
    rig.train(30)
    rig.snapshots.take(rig.ctl, rig.window)
    rig.train(30)
    rig.ctx.episode_start = rig.ctl.step
    params = ACTIONS["rollback"].apply(rig.ctl, {"factor": 0.09, "skip_data": 0.0, "initial": 1.0}, rig.ctx)
    assert params["to_step"] == 0.0 and params["lr"] == pytest.approx(1e-2 * 0.09)
    for key, value in rig.model.state_dict().items():
        assert torch.equal(value, first[key])
    assert not rig.snapshots.recent  # later snapshots describe a future that did not happen
