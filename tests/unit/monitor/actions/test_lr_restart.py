import pytest

from sentinel.monitor.actions import ACTIONS


def test_lr_restart_raises_the_lr(rig):
    params = ACTIONS["lr_restart"].apply(rig.ctl, {"factor": 100.0}, rig.ctx)
    assert rig.opt.param_groups[0]["lr"] == pytest.approx(1.0)
    assert params["lr"] == pytest.approx(1.0)


def test_lr_restart_refuses_a_cut(rig):
    with pytest.raises(ValueError):
        ACTIONS["lr_restart"].apply(rig.ctl, {"factor": 0.5}, rig.ctx)
