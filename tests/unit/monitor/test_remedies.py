"""Remedies by cause (issue 13), each on the real Trainer with a real model and optimizer:
an LR jump cut at its own step, a warm-up fault answered at once, a rollback that restores the
schedule's LR, momentum shortened for trouble from the start, a plateau restart to the
schedule's peak with a re-planned decay, and decisions that depend on steps only."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from sentinel.monitor.actions import ACTIONS, ActionContext
from sentinel.monitor.config import MonitorConfig
from sentinel.monitor.protocol import StepSignals, TrainerHook, TrainingControl
from sentinel.monitor.snapshots import SnapshotStore

from .conftest import make_window

MONITOR = Path(__file__).resolve().parents[3] / "monitor"


def test_an_lr_jump_is_cut_back_at_its_own_step(train):
    """Late in a cosine schedule the LR is far below its peak; x300 there is still seen at once,
    against the schedule's own LR, and undone exactly before the optimizer uses it."""
    spike = [{"kind": "lr_spike", "at_step": 150, "factor": 300.0}]
    clean = train(monitored=False, schedule="cosine", lr=3e-3, max_steps=200, epochs=100)
    shadow = train(monitored=False, schedule="cosine", lr=3e-3, max_steps=200, epochs=100, faults=spike)
    run = train(schedule="cosine", lr=3e-3, max_steps=200, epochs=100, faults=spike)
    [first, *_] = run.decisions
    assert (first["step"], first["anomaly"], first["action"]) == (150, "lr_jump", "lr_cut")
    assert first["params"]["factor"] == pytest.approx(1 / 300)
    assert shadow.final > 1.2 * clean.final  # the fault matters
    assert run.final == pytest.approx(clean.final, rel=1e-3)  # and the cut left no trace


def test_a_schedule_warmup_is_not_an_lr_jump(train):
    run = train(schedule="warmup", warmup_steps=60, lr=3e-3, max_steps=150, epochs=100)
    assert run.decisions == []


def test_an_explosion_inside_the_warmup_is_clipped_at_once(train):
    burst = [{"kind": "grad_explosion", "at_step": 4, "factor": 1000.0, "duration": 3}]
    clean = train(monitored=False, lr=3e-3, max_steps=200, epochs=100)
    run = train(lr=3e-3, max_steps=200, epochs=100, faults=burst)
    steps = [(d["step"], d["action"]) for d in run.decisions]
    assert steps[:3] == [(4, "clip"), (5, "clip"), (6, "clip")]
    assert all(d["evidence"].get("warmup") == 1.0 for d in run.decisions[:3])
    assert run.final <= 1.1 * clean.final


class _RollbackAt(TrainerHook):
    """Snapshot at `take`, roll back at `at` through the real RollbackAction."""

    def __init__(self, take: int, at: int, factor: float) -> None:
        self.take, self.at, self.factor = take, at, factor
        self.config = MonitorConfig()
        self.window = make_window(self.config)
        self.snapshots = SnapshotStore(3)
        self.seen: dict[str, float] = {}

    def after_step(self, ctl: TrainingControl, signals: StepSignals) -> None:
        if signals.step == self.take:
            self.snapshots.take(ctl, self.window)
        if signals.step == self.at:
            ctx = ActionContext(self.window, self.snapshots, self.config, self.at, in_backward=False)
            self.seen["lr_before"] = float(ctl.lr)
            out = ACTIONS["rollback"].apply(ctl, {"factor": self.factor, "skip_data": 0.0}, ctx)
            self.seen.update(out, planned=ctl.planned_lr())


@pytest.mark.parametrize("factor", [1.0, 0.3])
def test_a_rollback_restores_the_schedules_lr_not_a_permanent_cut(train, factor):
    """Under cosine decay the LR at step 150 is far below the snapshot's; the rollback gives the
    schedule's LR at the snapshot (times the policy's factor only when the LR is the cause)."""
    hook = _RollbackAt(take=40, at=150, factor=factor)
    hooked = train(hook=hook, schedule="cosine", lr=3e-3, max_steps=220, epochs=100)
    assert hooked.result.status == "completed"
    assert hook.seen["to_step"] == 40
    assert hook.seen["lr"] == pytest.approx(factor * hook.seen["planned"], rel=1e-9)
    assert hook.seen["lr"] > hook.seen["lr_before"] * factor  # the decayed LR was not kept


def test_sgd_diverging_from_the_start_gets_its_momentum_shortened(train):
    """SGD at momentum 0.99 with an LR far too large: LR cuts alone leave the momentum
    multiplying every step by ~100; the monitor shortens the horizon with the cut."""
    shadow = train(monitored=False, optimizer="sgd", momentum=0.99, lr=0.2, max_steps=240, epochs=100)
    run = train(optimizer="sgd", momentum=0.99, lr=0.2, max_steps=240, epochs=100)
    cut = [d for d in run.decisions if "momentum" in d["params"]]
    assert cut, [(d["step"], d["anomaly"], d["action"]) for d in run.decisions]
    assert cut[0]["params"]["momentum"] < 0.99
    group = run.trainer.state.optimizer.param_groups[0]
    assert group["momentum"] <= cut[0]["params"]["momentum"]  # kept across later rollbacks
    assert run.result.status == "completed"
    assert run.final < shadow.final or not math.isfinite(shadow.final)


class _RestartAt(TrainerHook):
    def __init__(self, at: int, factor: float) -> None:
        self.at, self.factor = at, factor
        self.config = MonitorConfig()
        self.window = make_window(self.config)
        self.snapshots = SnapshotStore(3)
        self.lrs: list[tuple[int, float]] = []
        self.out: dict[str, float] = {}

    def after_step(self, ctl: TrainingControl, signals: StepSignals) -> None:
        self.lrs.append((signals.step, signals.lr))
        if signals.step == self.at:
            ctx = ActionContext(self.window, self.snapshots, self.config, self.at, in_backward=False)
            self.out = ACTIONS["lr_restart"].apply(ctl, {"factor": self.factor}, ctx)
            self.out["peak"] = ctl.peak_lr()


def test_a_plateau_restart_returns_to_the_schedules_peak_and_replans(train):
    """Late in a cosine schedule x2 of the decayed LR is far below the peak: the restart goes to
    the peak and the decay is re-planned over the steps that are left."""
    hook = _RestartAt(at=150, factor=2.0)
    train(hook=hook, schedule="cosine", lr=1e-3, min_lr_ratio=0.0, max_steps=200, epochs=100)
    lr = dict(hook.lrs)
    assert lr[150] < 0.25 * 1e-3  # decayed: x2 would stay far below the peak
    assert lr[151] == pytest.approx(1e-3, rel=1e-6)  # back at the schedule's peak
    assert lr[175] == pytest.approx(0.5e-3, rel=0.1)  # a new cosine over the 50 steps left
    assert lr[199] < 0.01e-3


def test_the_monitor_never_reads_a_clock():
    """Every decision must depend on steps and values only (same events on any machine)."""
    offenders = []
    for path in MONITOR.rglob("*.py"):
        if "bench" in path.parts:
            continue  # host-side harness: it times runs, it decides nothing
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import | ast.ImportFrom) else []
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if "time" in names or module == "time" or "datetime" in names:
                offenders.append(str(path.relative_to(MONITOR)))
    assert offenders == []


def test_the_same_faulty_run_gives_the_same_events(train):
    faults = [
        {"kind": "grad_explosion", "at_step": 30, "factor": 300.0, "duration": 4},
        {"kind": "lr_spike", "at_step": 120, "factor": 30.0},
    ]
    first = train(lr=3e-3, max_steps=200, epochs=100, faults=faults)
    second = train(lr=3e-3, max_steps=200, epochs=100, faults=faults)
    assert first.decisions and first.decisions == second.decisions
    assert first.final == second.final


def test_a_collapse_is_reported_once_without_touching_the_run():
    """A loss stuck near its start with gradients at 1/100 of the first steps': reported (action
    none) once, wherever in the run it happens."""
    from sentinel.monitor.quality import QualityWatch

    config = MonitorConfig()
    window, watch = make_window(config), QualityWatch(config)
    reports = []
    for step in range(1, 400):
        loss = 2.3 - 0.2 * min(step, 100) / 100  # some progress, then stuck at 2.1 (0.9 x start)
        grad = 1.0 if step < 120 else 0.01
        window.push(step, loss, grad, 1e-3)
        if step % config.trend_every == 0 and (finding := watch.observe(step, window)):
            reports.append(finding)
    assert [r.anomaly for r in reports] == ["collapse"]
    assert reports[0].evidence["grad_drop"] <= config.plateau_collapse_grad


def test_a_clean_run_gets_no_report(train):
    run = train(lr=3e-3, schedule="cosine", max_steps=200, epochs=100)
    assert run.decisions == []


def test_a_tiny_lr_under_a_finished_warmup_is_restarted_at_the_first_trend_check(train):
    """The schedule says its warm-up is over (its LR no longer rises), so a crawl at step 32 is
    not mistaken for a warm-up still on its way up: restart there, not a patience later."""
    clean = train(monitored=False, schedule="warmup", warmup_steps=27, lr=3e-3, max_steps=200, epochs=100)
    run = train(schedule="warmup", warmup_steps=27, lr=1e-6, max_steps=200, epochs=100)
    [first, *_] = run.decisions
    assert (first["step"], first["action"]) == (32, "lr_restart")
    assert first["evidence"]["lr_rising"] == pytest.approx(1.0)
    assert run.final <= 1.1 * clean.final
