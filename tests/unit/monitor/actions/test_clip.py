import pytest
import torch

from sentinel.monitor.actions import ACTIONS


def test_clip_bounds_the_global_norm_and_reports_the_norm_before(rig):
    rig.window.push(0, 1.0, 1.0, 1e-2)
    x = torch.randn(16, 4)
    (rig.model(x).sum() * 1e4).backward()
    before = float(torch.nn.utils.get_total_norm([p.grad for p in rig.model.parameters()]))
    params = ACTIONS["clip"].apply(rig.ctl, {"max_norm": 0.5}, rig.ctx)
    after = float(torch.nn.utils.get_total_norm([p.grad for p in rig.model.parameters()]))
    assert params["grad_norm"] == pytest.approx(before)
    assert after == pytest.approx(0.5, rel=1e-4)
    assert rig.window.series(1)["flag"].tolist() == [1.0]  # kept out of the reference
    assert not rig.ctl.skip_this  # clipping keeps the step
