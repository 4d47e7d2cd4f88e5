"""A real tiny model, optimizer, scheduler and control for the action tests (no mocks)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from sentinel.monitor.actions import ActionContext
from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.loop import LoopControl
from sentinel.monitor.signals import SignalWindow
from sentinel.monitor.snapshots import SnapshotStore


def train_steps(rig: SimpleNamespace, n: int) -> None:
    """A few real Adam steps so the optimizer has state worth restoring."""
    for _ in range(n):
        x = torch.randn(16, 4)
        rig.opt.zero_grad()
        loss = (rig.model(x) - x.sum(1, keepdim=True)).pow(2).mean()
        loss.backward()
        rig.opt.step()
        rig.sched.step()
        rig.ctl.current_step += 1
        rig.window.push(rig.ctl.current_step, float(loss.detach()), 1.0, rig.ctl.lr)


@pytest.fixture
def rig() -> SimpleNamespace:
    torch.manual_seed(0)
    cfg = MonitorConfig()
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1000, gamma=0.5)
    ctl = LoopControl(model, opt, sched)
    window = SignalWindow(
        cfg.window, cfg.ref_window, cfg.refresh_every, cfg.start_steps, cfg.ewma_alpha, cfg.mad_floor_rel
    )
    snapshots = SnapshotStore(cfg.snapshots_kept)
    ctx = ActionContext(window, snapshots, cfg, episode_start=0, in_backward=True)
    ns = SimpleNamespace(
        model=model, opt=opt, sched=sched, ctl=ctl, window=window, snapshots=snapshots, ctx=ctx, cfg=cfg
    )
    ns.train = lambda n: train_steps(ns, n)
    return ns
