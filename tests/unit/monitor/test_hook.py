"""The trainer-facing hook, driven the way the built-in trainer drives it (after_backward,
optimizer step, after_step) over a real tiny model."""

import math

import pytest
import torch

from sentinel.contract.events import outcome_name
from sentinel.monitor import MonitorHook, build_trainer_hook
from sentinel.monitor.loop import LoopControl
from sentinel.monitor.protocol import StepSignals, TrainerHook, TrainingControl


class RewindingControl(LoopControl):
    """Like the built-in trainer: restore rewinds the data position, the step keeps counting."""

    rewinds_data = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.data_position = 0
        self.skipped: list[int] = []

    def snapshot(self):
        return {**super().snapshot(), "data": self.data_position}

    def restore(self, snapshot) -> None:
        super().restore(snapshot)
        self.data_position = snapshot["data"]

    def skip_batches(self, n: int) -> None:
        self.skipped.append(n)
        self.data_position += n


def _drive(hook, ctl, steps, poison=()):
    torch.manual_seed(0)
    x = torch.randn(512, 8)
    y = x.sum(1, keepdim=True)
    model, opt = ctl.model, ctl.optimizer
    hook.on_train_start(ctl)
    while ctl.current_step < steps and ctl.status is None:
        batch = ctl.data_position
        idx = torch.arange(batch % 32 * 16, batch % 32 * 16 + 16)
        ctl.data_position += 1
        opt.zero_grad()
        loss = (model(x[idx]) - y[idx]).pow(2).mean()
        if batch in poison:  # poison belongs to a batch, which a rollback skips
            loss = loss * float("nan")
        loss.backward()
        norm = float(torch.nn.utils.get_total_norm([p.grad for p in model.parameters()]))
        signals = StepSignals(ctl.current_step, 0, float(loss.detach()), norm, ctl.lr)
        ctl.skip_this = False
        hook.after_backward(ctl, signals)
        if not ctl.skip_this:
            opt.step()
        hook.after_step(ctl, signals)
        ctl.current_step += 1
    hook.on_train_end(ctl, ctl.status or "completed")


def _rig():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    return RewindingControl(model, opt)


def test_build_trainer_hook_returns_the_monitor_or_a_no_op():
    assert isinstance(build_trainer_hook({"enabled": True}), MonitorHook)
    assert isinstance(build_trainer_hook(None), MonitorHook)
    off = build_trainer_hook({"enabled": False})
    assert type(off) is TrainerHook


def test_build_trainer_hook_rejects_unknown_keys_by_name():
    with pytest.raises(ValueError, match="'treshold'"):
        build_trainer_hook({"enabled": True, "treshold": 3})


def test_loop_control_satisfies_the_contract():
    ctl = _rig()
    assert isinstance(ctl, TrainingControl)


def test_clean_training_is_silent_and_skips_the_update_ratio():
    hook, ctl = MonitorHook(build_trainer_hook({}).config), _rig()
    _drive(hook, ctl, 300)
    assert ctl.events == [] and hook.decisions == []
    assert math.isnan(hook.window.update_ratio)  # the loss fell well below its start: no weight copies
    assert hook.snapshots.recent  # healthy snapshots were kept


def test_update_ratio_is_measured_while_the_loss_stays_near_its_start():
    hook, ctl = MonitorHook(build_trainer_hook({}).config), _rig()
    for group in ctl.optimizer.param_groups:
        group["lr"] = 1e-8
    _drive(hook, ctl, 31)  # measured on step 31, before the first plateau check restarts the LR
    assert 0 < hook.window.update_ratio < 1e-4


def test_nan_streak_rolls_back_and_skips_the_batches_since_the_snapshot():
    hook, ctl = build_trainer_hook({}), _rig()
    _drive(hook, ctl, 300, poison=(200, 201, 202))
    actions = [e["action"] for e in hook.decisions]
    assert actions == ["skip", "skip", "rollback"]
    rollback = hook.decisions[-1]["params"]
    assert rollback["to_step"] <= 200 - hook.config.divergence_window
    assert ctl.skipped == [202 - int(rollback["to_step"])]  # the data resumes where it had got to
    assert ctl.status is None


def test_events_are_capped():
    hook, ctl = build_trainer_hook({"max_events": 2}), _rig()
    _drive(hook, ctl, 120, poison=(60, 70, 80, 90))
    assert len(ctl.events) == 2 and hook.events_dropped > 0


def test_pending_experiences_are_flushed_at_train_end():
    hook, ctl = build_trainer_hook({}), _rig()
    _drive(hook, ctl, 230, poison=(200,))
    last = ctl.events[-1]
    assert last["kind"] == "experience" and last["action"] == "skip"
    assert outcome_name(last["params"]["outcome"]) == "run_ended" and last["params"]["reward"] == 0.0
