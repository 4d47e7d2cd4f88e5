import pytest

from sentinel.monitor.actions import ACTIONS


def test_lr_cut_scales_every_group_and_the_schedule_base(rig):
    rig.opt.add_param_group({"params": [rig.model[2].bias.new_zeros(1, requires_grad=True)], "lr": 0.5})
    params = ACTIONS["lr_cut"].apply(rig.ctl, {"factor": 0.3}, rig.ctx)
    assert [g["lr"] for g in rig.opt.param_groups] == pytest.approx([3e-3, 0.15])
    assert rig.sched.base_lrs[0] == pytest.approx(3e-3)
    assert params == {"factor": 0.3, "lr": pytest.approx(3e-3)}


def test_lr_cut_survives_the_scheduler(rig):
    ACTIONS["lr_cut"].apply(rig.ctl, {"factor": 0.1}, rig.ctx)
    rig.train(3)
    assert rig.ctl.lr == pytest.approx(1e-3)


@pytest.mark.parametrize("factor", [0.0, 1.0, 2.0])
def test_lr_cut_refuses_non_cuts(rig, factor):
    with pytest.raises(ValueError):
        ACTIONS["lr_cut"].apply(rig.ctl, {"factor": factor}, rig.ctx)
