import math

import torch

from sentinel.monitor.actions import ACTIONS


def test_reinit_changes_weights_clears_optimizer_state_and_forgets_history(rig):
    rig.train(5)
    before = [p.detach().clone() for p in rig.model.parameters()]
    params = ACTIONS["reinit"].apply(rig.ctl, {"factor": 0.3}, rig.ctx)
    after = list(rig.model.parameters())
    assert all(not torch.equal(a, b) for a, b in zip(after, before, strict=True))
    assert len(rig.opt.state) == 0
    assert rig.window.count == 0 and math.isnan(rig.window.start_loss)
    assert abs(params["lr"] - 3e-3) < 1e-12
    assert rig.snapshots.initial is not None and rig.snapshots.initial.step == rig.ctl.step
    assert rig.ctl.skip_this


def test_reinit_for_a_plateau_keeps_the_lr(rig):
    ACTIONS["reinit"].apply(rig.ctl, {"factor": 1.0}, rig.ctx)
    assert rig.ctl.lr == 1e-2
