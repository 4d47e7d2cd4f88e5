"""TrainingControl through real hooks on the real trainer: every handle does what it promises."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch

from sentinel.monitor.protocol import StepSignals, TrainerHook, TrainingControl
from sentinel.sandbox.runtime.control import Snapshot

from .conftest import RunFn


class Recorder(TrainerHook):
    """Records every call and every step's signals; subclasses act at chosen steps."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.signals: dict[int, StepSignals] = {}
        self.val: list[dict[str, float]] = []

    def on_train_start(self, ctl: TrainingControl) -> None:
        assert isinstance(ctl, TrainingControl)
        self.calls.append("start")

    def after_backward(self, ctl: TrainingControl, signals: StepSignals) -> None:
        self.calls.append("backward")
        self.signals[signals.step] = signals
        self.backward(ctl, signals)

    def after_step(self, ctl: TrainingControl, signals: StepSignals) -> None:
        self.calls.append("step")
        self.step(ctl, signals)

    def on_epoch_end(self, ctl: TrainingControl, epoch: int, val: dict[str, float]) -> None:
        self.calls.append(f"epoch{epoch}")
        self.val.append(val)

    def on_train_end(self, ctl: TrainingControl, status: str) -> None:
        self.calls.append(f"end:{status}")

    def backward(self, ctl: TrainingControl, signals: StepSignals) -> None:
        return None

    def step(self, ctl: TrainingControl, signals: StepSignals) -> None:
        return None


def _losses(hook: Recorder) -> dict[int, float]:
    return {step: s.loss for step, s in hook.signals.items()}


def test_hooks_are_called_in_order(run_trainer: RunFn) -> None:
    hook = Recorder()
    result, _, trainer = run_trainer(hook, epochs=2)
    per_epoch = trainer.state.batcher.batches_per_epoch
    assert hook.calls[0] == "start" and hook.calls[-1] == "end:completed"
    assert hook.calls[1 : 1 + 2 * per_epoch] == ["backward", "step"] * per_epoch
    assert hook.calls[1 + 2 * per_epoch] == "epoch0" and hook.calls.count("epoch1") == 1
    assert set(hook.val[0]) == {"val/loss", "val/acc", "val/f1"}
    assert result.steps == 2 * per_epoch and result.epochs == 2


class RollBack(Recorder):
    def __init__(self, take: int, restore_at: int, in_backward: bool) -> None:
        super().__init__()
        self.take, self.restore_at, self.in_backward = take, restore_at, in_backward
        self.snap: Snapshot | None = None

    def backward(self, ctl: TrainingControl, signals: StepSignals) -> None:
        if self.in_backward and signals.step == self.restore_at:
            ctl.restore(self.snap)

    def step(self, ctl: TrainingControl, signals: StepSignals) -> None:
        if signals.step == self.take:
            self.snap = ctl.snapshot()
        if not self.in_backward and signals.step == self.restore_at:
            ctl.restore(self.snap)


@pytest.mark.parametrize("in_backward", [False, True])
def test_restore_replays_the_same_steps_exactly(run_trainer: RunFn, in_backward: bool) -> None:
    """Model, optimizer, schedule, RNG (dropout) and data position all come back."""
    hook = RollBack(take=3, restore_at=7, in_backward=in_backward)
    run_trainer(hook, epochs=2, schedule="cosine", model_params={"dropout": 0.3})
    losses, signals = _losses(hook), hook.signals
    # Steps 8..11 start from the state after step 3, so they replay steps 4..7 (when the restore
    # happens inside step 7, its update is cancelled and step 7's loss is still the original).
    for original in range(4, 8):
        assert losses[original + 4] == losses[original], original
        assert signals[original + 4].lr == signals[original].lr
        assert signals[original + 4].grad_norm == signals[original].grad_norm
    assert losses[12] != losses[8]  # and then it moves on


def test_restore_puts_weights_back_bit_for_bit(run_trainer: RunFn) -> None:
    seen: dict[str, Any] = {}

    class Hook(Recorder):
        def step(self, ctl: TrainingControl, signals: StepSignals) -> None:
            if signals.step == 2:
                seen["snap"] = ctl.snapshot()
                seen["weights"] = {k: v.clone() for k, v in ctl.model.state_dict().items()}
                seen["lr"] = ctl.lr
            if signals.step == 6:
                ctl.restore(seen["snap"])
                now = ctl.model.state_dict()
                seen["equal"] = all(torch.equal(now[k], v) for k, v in seen["weights"].items())
                seen["lr_after"] = ctl.lr

    run_trainer(Hook(), epochs=1, schedule="cosine")
    assert seen["equal"] and seen["lr_after"] == seen["lr"]


def test_skip_batches_shortens_the_epoch(run_trainer: RunFn) -> None:
    class Hook(Recorder):
        def step(self, ctl: TrainingControl, signals: StepSignals) -> None:
            if signals.step == 2:
                ctl.skip_batches(3)

    result, lines, trainer = run_trainer(Hook(), epochs=1)
    per_epoch = trainer.state.batcher.batches_per_epoch
    assert result.steps == per_epoch - 3
    assert [line["step"] for line in lines if line["split"] == "val"] == [per_epoch - 3]
    with pytest.raises(ValueError):
        trainer.control.skip_batches(-1)


def test_skip_step_leaves_weights_and_schedule_alone(run_trainer: RunFn) -> None:
    seen: dict[str, Any] = {}

    class Hook(Recorder):
        def backward(self, ctl: TrainingControl, signals: StepSignals) -> None:
            if signals.step == 4:
                seen["before"] = [p.detach().clone() for p in ctl.model.parameters()]
                ctl.skip_step()

        def step(self, ctl: TrainingControl, signals: StepSignals) -> None:
            if signals.step == 4:
                seen["after"] = [p.detach().clone() for p in ctl.model.parameters()]

    hook = Hook()
    run_trainer(hook, epochs=1, schedule="cosine")
    assert all(torch.equal(a, b) for a, b in zip(seen["before"], seen["after"], strict=True))
    assert hook.signals[5].lr == hook.signals[4].lr != hook.signals[3].lr


def test_stop_ends_the_run_with_the_given_status(run_trainer: RunFn) -> None:
    class Hook(Recorder):
        def step(self, ctl: TrainingControl, signals: StepSignals) -> None:
            if signals.step == 6:
                ctl.stop("completed", "monitor_stop")
                ctl.stop("failed", "second call is ignored")

    hook = Hook()
    result, lines, _ = run_trainer(hook, epochs=3)
    assert (result.status, result.reason, result.steps) == ("completed", "monitor_stop", 6)
    assert lines[-1]["split"] == "val" and lines[-1]["step"] == 6 and result.final["step"] == 6
    assert hook.calls[-1] == "end:completed"
    with pytest.raises(ValueError, match="stop status"):
        _.control.stop("timeout", "host-only status")


def test_reinit_model_resets_weights_and_optimizer(run_trainer: RunFn) -> None:
    seen: dict[str, Any] = {}

    class Hook(Recorder):
        def step(self, ctl: TrainingControl, signals: StepSignals) -> None:
            if signals.step == 5:
                seen["before"] = [p.detach().clone() for p in ctl.model.parameters()]
                ctl.reinit_model()
                seen["after"] = [p.detach().clone() for p in ctl.model.parameters()]
                seen["state"] = len(ctl.optimizer.state)

    hook = Hook()
    run_trainer(hook, epochs=1)
    assert not any(torch.equal(a, b) for a, b in zip(seen["before"], seen["after"], strict=True))
    assert seen["state"] == 0 and hook.signals[6].loss > hook.signals[5].loss * 0.9


def test_clip_grad_norm_returns_the_norm_before_clipping(run_trainer: RunFn) -> None:
    seen: dict[str, float] = {}

    class Hook(Recorder):
        def backward(self, ctl: TrainingControl, signals: StepSignals) -> None:
            if signals.step == 3:
                seen["returned"] = ctl.clip_grad_norm(1e-3)
                grads = [p.grad for p in ctl.model.parameters()]
                seen["after"] = float(torch.nn.utils.get_total_norm(grads))
                seen["signal"] = signals.grad_norm

    run_trainer(Hook(), epochs=1, grad_clip=10.0)
    assert seen["returned"] == pytest.approx(seen["signal"]) and seen["after"] == pytest.approx(
        1e-3, rel=1e-3
    )


def test_scale_lr_and_record_event(run_trainer: RunFn, tmp_path: Any) -> None:
    class Hook(Recorder):
        def step(self, ctl: TrainingControl, signals: StepSignals) -> None:
            if signals.step == 3:
                ctl.scale_lr(0.5)
                ctl.record_event(
                    {
                        "step": 3,
                        "anomaly": "loss_spike",
                        "evidence": {"z": 9.5},
                        "action": "lr_cut",
                        "params": {"factor": 0.5},
                    }
                )

    hook = Hook()
    _, _, trainer = run_trainer(hook, epochs=1, lr=0.01)
    assert hook.signals[3].lr == 0.01 and hook.signals[4].lr == pytest.approx(0.005)
    events = trainer.state.events._out.path.read_text().splitlines()
    assert json.loads(events[0])["action"] == "lr_cut"
    with pytest.raises(ValueError):
        trainer.control.scale_lr(float("nan"))


def test_nan_with_a_passive_hook_diverges_after_the_patience(run_trainer: RunFn) -> None:
    result, _, _ = run_trainer(
        Recorder(), epochs=2, nonfinite_patience=4, faults=[{"kind": "nan_loss", "at_step": 3}]
    )
    assert (result.status, result.reason, result.steps) == ("diverged", "nan_loss", 6)


def test_nan_handled_by_a_hook_completes(run_trainer: RunFn) -> None:
    class SkipNonFinite(Recorder):
        def backward(self, ctl: TrainingControl, signals: StepSignals) -> None:
            if signals.loss != signals.loss:
                ctl.skip_step()

    result, _, _ = run_trainer(SkipNonFinite(), epochs=2, faults=[{"kind": "nan_loss", "at_step": 3}])
    assert result.status == "completed" and result.final["val/acc"] > 0.3


def test_hook_errors_fail_the_run(run_trainer: RunFn) -> None:
    from sentinel.sandbox.runtime.trainer import TrainingFailed

    class Broken(Recorder):
        def step(self, ctl: TrainingControl, signals: StepSignals) -> None:
            raise RuntimeError("monitor bug")

    with pytest.raises(TrainingFailed) as info:
        run_trainer(Broken(), epochs=1)
    assert (info.value.result.status, info.value.result.reason) == ("failed", "exception")


def test_restore_at_epoch_end_continues_the_restored_epoch(run_trainer: RunFn) -> None:
    """A rollback from on_epoch_end to a mid-epoch snapshot must not start a fresh epoch."""

    class Hook(Recorder):
        snap: Snapshot | None = None
        done = False

        def step(self, ctl: TrainingControl, signals: StepSignals) -> None:
            if signals.step == 4:
                self.snap = ctl.snapshot()

        def on_epoch_end(self, ctl: TrainingControl, epoch: int, val: dict[str, float]) -> None:
            super().on_epoch_end(ctl, epoch, val)
            if not self.done:
                self.done = True
                ctl.restore(self.snap)

    hook = Hook()
    result, _, trainer = run_trainer(hook, epochs=2)
    per_epoch = trainer.state.batcher.batches_per_epoch
    losses = _losses(hook)
    for original in range(5, per_epoch + 1):  # the rest of epoch 0 is replayed exactly
        assert losses[original + per_epoch - 4] == losses[original]
    assert hook.calls.count("epoch0") == 2 and result.epochs == 3
    assert result.steps == per_epoch + (per_epoch - 4) + per_epoch
