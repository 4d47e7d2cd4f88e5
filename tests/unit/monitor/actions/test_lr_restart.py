import pytest

from sentinel.monitor.actions import ACTIONS


def test_lr_restart_raises_the_lr(rig):
    params = ACTIONS["lr_restart"].apply(rig.ctl, {"factor": 100.0}, rig.ctx)
    assert rig.opt.param_groups[0]["lr"] == pytest.approx(1.0)
    assert params["lr"] == pytest.approx(1.0)


def test_lr_restart_refuses_a_cut(rig):
    with pytest.raises(ValueError):
        ACTIONS["lr_restart"].apply(rig.ctl, {"factor": 0.5}, rig.ctx)


def test_large_restart_is_a_fresh_start(rig):
    """Above lr_jump_ratio: window, optimizer moments and the initial snapshot start over, so the
    new LR's first steps get a fresh run's grace and Adam forgets moments gathered at the old LR."""
    rig.train(40)
    old_initial = rig.snapshots.initial
    weights = {k: v.clone() for k, v in rig.model.state_dict().items()}
    params = ACTIONS["lr_restart"].apply(rig.ctl, {"factor": 50.0}, rig.ctx)
    assert params["fresh_start"] == 1.0
    assert rig.window.count == 0 and rig.window.reference is None
    assert len(rig.opt.state) == 0
    assert rig.snapshots.initial is not old_initial and rig.snapshots.initial.lr == pytest.approx(0.5)
    for key, value in rig.model.state_dict().items():  # the weights are kept: only the LR changes
        assert value.equal(weights[key])


def test_small_restart_keeps_history_and_moments(rig):
    rig.train(40)
    count, moments = rig.window.count, len(rig.opt.state)
    params = ACTIONS["lr_restart"].apply(rig.ctl, {"factor": rig.cfg.lr_jump_ratio}, rig.ctx)
    assert params["fresh_start"] == 0.0
    assert rig.window.count == count and len(rig.opt.state) == moments > 0
    assert rig.snapshots.initial is None
