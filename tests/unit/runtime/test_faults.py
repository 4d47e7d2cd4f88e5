"""Each injected fault changes the metrics exactly at the step it names (and is labelled there)."""

from __future__ import annotations

import pytest

from sentinel.sandbox.runtime.faults import FaultPlan

from .conftest import RunFn

AT = 12


def _by_step(lines: list[dict]) -> dict[int, dict]:
    return {line["step"]: line for line in lines if line["split"] == "train"}


@pytest.fixture
def baseline(run_trainer: RunFn) -> dict[int, dict]:
    result, lines, _ = run_trainer(epochs=3, log_every=1)
    assert result.status == "completed"
    return _by_step(lines)


def _faulted(run_trainer: RunFn, fault: dict, **trainer: object) -> tuple[object, dict[int, dict]]:
    result, lines, _ = run_trainer(epochs=3, log_every=1, faults=[fault], **trainer)
    return result, _by_step(lines)


def _same_until(a: dict[int, dict], b: dict[int, dict], step: int) -> None:
    for s in range(1, step):
        assert a[s] == b[s], f"step {s} differs before the fault"


def test_lr_spike_multiplies_the_lr_from_its_step_on(run_trainer: RunFn, baseline: dict[int, dict]) -> None:
    _, got = _faulted(run_trainer, {"kind": "lr_spike", "at_step": AT, "factor": 100.0})
    _same_until(got, baseline, AT)
    assert got[AT]["fault"] == "lr_spike" and "fault" not in got[AT + 1]
    assert got[AT]["lr"] == pytest.approx(100 * baseline[AT]["lr"])
    assert got[AT + 5]["lr"] == pytest.approx(100 * baseline[AT + 5]["lr"])  # it persists
    assert got[AT + 1]["loss"] != baseline[AT + 1]["loss"]


def test_grad_explosion_scales_the_measured_norm(run_trainer: RunFn, baseline: dict[int, dict]) -> None:
    _, got = _faulted(run_trainer, {"kind": "grad_explosion", "at_step": AT, "factor": 1000.0, "duration": 3})
    _same_until(got, baseline, AT)
    assert got[AT]["grad_norm"] == pytest.approx(1000 * baseline[AT]["grad_norm"], rel=1e-4)
    assert [got[s].get("fault") for s in range(AT, AT + 4)] == ["grad_explosion"] * 3 + [None]
    assert got[AT + 1]["grad_norm"] > 100 * baseline[AT + 1]["grad_norm"]


def test_nan_loss_without_monitor_diverges_at_that_step(
    run_trainer: RunFn, baseline: dict[int, dict]
) -> None:
    result, got = _faulted(run_trainer, {"kind": "nan_loss", "at_step": AT})
    _same_until(got, baseline, AT)
    assert got[AT]["loss"] is None and got[AT]["fault"] == "nan_loss" and "loss" in got[AT]["nonfinite"]
    assert result.status == "diverged" and result.reason == "nan_loss" and result.steps == AT
    assert max(got) == AT


def test_bad_batch_scales_inputs_for_its_duration(run_trainer: RunFn) -> None:
    at = 25  # once the model has learnt something, a corrupted batch costs it dearly
    _, clean, _ = run_trainer(epochs=3, log_every=1, lr=3e-3)
    baseline = _by_step(clean)
    _, got = _faulted(
        run_trainer, {"kind": "bad_batch", "at_step": at, "duration": 2, "scale": 50.0}, lr=3e-3
    )
    _same_until(got, baseline, at)
    assert got[at]["loss"] > 3 * baseline[at]["loss"]
    assert got[at]["grad_norm"] > 5 * baseline[at]["grad_norm"]
    assert [got[s].get("fault") for s in (at, at + 1, at + 2)] == ["bad_batch", "bad_batch", None]


def test_fault_steps_are_logged_whatever_log_every_says(run_trainer: RunFn) -> None:
    faults = [{"kind": "grad_explosion", "at_step": 7, "duration": 2}, {"kind": "bad_batch", "at_step": 23}]
    _, lines, _ = run_trainer(epochs=3, log_every=1000, faults=faults)
    train = _by_step(lines)
    assert sorted(train) == [1, 7, 8, 23]
    assert [train[s].get("fault") for s in (7, 8, 23)] == ["grad_explosion", "grad_explosion", "bad_batch"]


def test_fault_plan_queries() -> None:
    plan = FaultPlan(
        [
            {"kind": "lr_spike", "at_step": 3, "factor": 10.0},
            {"kind": "bad_batch", "at_step": 3, "duration": 2, "scale": 5.0},
            {"kind": "nan_loss", "at_step": 4},
        ]
    )
    at3, at4, at5 = plan.active(3), plan.active(4), plan.active(5)
    assert plan.label(at3) == "lr_spike" and plan.lr_factor(at3) == 10.0 and plan.input_scale(at3) == 5.0
    assert plan.label(at4) == "bad_batch" and plan.nan_loss(at4) and plan.lr_factor(at4) == 1.0
    assert at5 == () and plan.label(at5) is None and plan.grad_factor(at5) == 1.0
