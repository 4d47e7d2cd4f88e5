from sentinel.monitor.actions import ACTIONS


def test_skip_step_drops_the_step_and_flags_it(rig):
    rig.window.push(0, 1e9, 1.0, 1e-2)
    assert ACTIONS["skip"].apply(rig.ctl, {}, rig.ctx) == {}
    assert rig.ctl.skip_this
    assert rig.window.series(1, healthy=True)["loss"].size == 0
