"""The trainer's quiet-step gate: a hook may let quiet steps be batched instead of called, and the
monitor decides exactly the same with and without it (it only saves the per-step calls)."""

from __future__ import annotations

import math

import pytest

from sentinel.monitor import MonitorHook
from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.protocol import QuietGate, StepSignals, TrainerHook, TrainingControl


class _Recorder(TrainerHook):
    """Opens the gate wide for steps 10-49 and records which steps it was called on."""

    def __init__(self) -> None:
        self.gate = QuietGate(loss_max=math.inf, grad_max=math.inf, until=0)
        self.called: list[int] = []
        self.batched: list[int] = []
        self.after_step_calls: list[int] = []

    def after_backward(self, ctl: TrainingControl, signals: StepSignals) -> None:
        self.batched += [entry[0] for entry in self.gate.pending]
        self.gate.pending.clear()
        self.called.append(signals.step)
        self.gate.until = 50 if signals.step >= 10 else 0

    def after_step(self, ctl: TrainingControl, signals: StepSignals) -> None:
        self.after_step_calls.append(signals.step)


def test_quiet_steps_are_batched_and_read_at_the_next_call(run_trainer):
    hook = _Recorder()
    run_trainer(hook=hook, max_steps=60, epochs=100)
    assert hook.called == [*range(1, 11), *range(50, 61)]
    assert hook.after_step_calls == hook.called  # a batched step gets neither call
    assert hook.batched == list(range(11, 50))  # in order, each exactly once


def test_a_non_finite_step_is_never_quiet(run_trainer):
    hook = _Recorder()
    run_trainer(hook=hook, max_steps=40, epochs=100, faults=[{"kind": "nan_loss", "at_step": 25}])
    assert 25 in hook.called
    assert 25 not in hook.batched


class _Counting(MonitorHook):
    calls = 0

    def after_backward(self, ctl: TrainingControl, signals: StepSignals) -> None:
        self.calls += 1
        super().after_backward(ctl, signals)


CONDITIONS = {
    "clean": {},
    "lr_spike": {"faults": [{"kind": "lr_spike", "at_step": 120, "factor": 100.0}]},
    "grad_explosion": {"faults": [{"kind": "grad_explosion", "at_step": 120, "factor": 1e4, "duration": 8}]},
    "nan_loss": {"faults": [{"kind": "nan_loss", "at_step": 120}]},
    "bad_batch": {"faults": [{"kind": "bad_batch", "at_step": 120, "duration": 3, "scale": 30.0}]},
    "high_lr": {"lr": 0.5},
    "plateau": {"lr": 1e-6},
}


@pytest.mark.parametrize("condition", sorted(CONDITIONS))
def test_the_monitor_decides_the_same_with_and_without_batching(run_trainer, condition):
    runs = []
    for batch in (True, False):
        hook = _Counting(MonitorConfig(), batch_quiet_steps=batch)
        result, _, _ = run_trainer(
            hook=hook,
            schedule="constant",
            lr=CONDITIONS[condition].get("lr", 1e-3),
            max_steps=300,
            epochs=100,
            faults=CONDITIONS[condition].get("faults", []),
        )
        runs.append((hook, result))
    (batched, with_gate), (called, without_gate) = runs
    assert batched.decisions == called.decisions
    assert batched.experiences == called.experiences
    assert batched.ticks == called.ticks == without_gate.steps
    assert with_gate.status == without_gate.status
    assert with_gate.final == without_gate.final
    assert called.calls == without_gate.steps
    if condition == "clean":
        assert not batched.decisions
        assert batched.calls < 0.25 * with_gate.steps  # the point: most steps cost no call
    if condition in ("lr_spike", "grad_explosion", "nan_loss", "bad_batch"):
        assert batched.decisions  # the comparison covers real interventions, not only silence
