import pytest

from sentinel.monitor.actions import ACTIONS, STOP_REASON


def test_stop_finishes_the_run_as_diverged(rig):
    ACTIONS["stop"].apply(rig.ctl, {}, rig.ctx)
    assert (rig.ctl.status, rig.ctl.reason) == ("diverged", STOP_REASON)
    assert rig.ctl.skip_this


def test_control_refuses_unknown_status(rig):
    with pytest.raises(ValueError):
        rig.ctl.stop("exploded", STOP_REASON)
