"""The own-loop integration end to end on a tiny real model: silent when clean, fast and effective
when a fault is injected. Losses are compared with the same run unmonitored (a fair shadow)."""

import math

import pytest
import torch

from sentinel.contract.events import outcome_name
from sentinel.monitor import Monitor, attach


@pytest.fixture(scope="module")
def clean(tiny):
    return tiny(monitor=False)


@pytest.mark.parametrize(("task", "seed"), [("reg", 0), ("reg", 1), ("cls", 0), ("cls", 1)])
def test_clean_runs_get_zero_interventions(tiny, task, seed):
    run = tiny(task=task, seed=seed)
    assert run.events == []
    assert run.final == tiny(task=task, seed=seed, monitor=False).final  # the monitor changed nothing


@pytest.mark.parametrize("fault", ["grad_explosion", "nan", "lr_spike", "bad_batch"])
def test_injected_fault_is_detected_within_10_steps_and_rescued(tiny, clean, fault):
    shadow = tiny(fault=fault, monitor=False)
    run = tiny(fault=fault)
    assert run.decisions, "nothing detected"
    first = run.decisions[0]["step"]
    assert 200 <= first <= 210
    assert not (math.isfinite(shadow.final) and shadow.final < 1.5 * clean.final), "the fault must matter"
    assert run.final <= 1.25 * clean.final
    assert not run.stopped


def test_every_decision_is_recorded_with_an_experience(tiny):
    run = tiny(fault="lr_spike")
    """The LR jump is seen at its own step and cut back exactly before the optimizer uses it."""
    assert [d["action"] for d in run.decisions] == ["lr_cut"]
    assert run.decisions[0]["anomaly"] == "lr_jump"
    assert run.decisions[0]["evidence"]["lr_jump"] == pytest.approx(100.0)
    assert run.decisions[0]["params"]["factor"] == pytest.approx(0.01)
    [experience] = run.experiences
    assert outcome_name(experience["params"]["outcome"]) == "recovered"
    assert experience["params"]["reward"] == pytest.approx(0.9)
    assert experience["evidence"] == run.decisions[0]["evidence"]
    assert run.decisions[0]["params"].items() <= experience["params"].items()


def test_hopeless_run_is_stopped_as_diverged():
    """Every batch is poison: the ladder climbs to the top and stops the run."""
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), 0.1)
    mon = attach(model, opt, params={"cooldown_steps": 4, "warmup_steps": 8})
    steps = 0
    for steps in range(1, 500):  # noqa: B007
        opt.zero_grad()
        loss = model(torch.randn(8, 4)).sum() * float("nan")
        loss.backward()
        if mon.check(loss):
            opt.step()
        if mon.stopped:
            break
    assert mon.stopped and mon.control.status == "diverged"
    assert [e["action"] for e in mon.events if e["kind"] == "intervention"][-1] == "stop"
    assert steps < 100


def test_disabled_monitor_always_says_step():
    model = torch.nn.Linear(2, 1)
    mon = Monitor(model, torch.optim.SGD(model.parameters(), 0.1), params={"enabled": False})
    assert mon.check(torch.tensor(float("nan")))
    assert mon.events == []


def test_events_file_is_strict_jsonl(tmp_path, tiny):
    from sentinel.contract.events import parse_event

    path = tmp_path / "monitor_events.jsonl"
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), 0.01)
    with attach(model, opt, events=path) as mon:
        for step in range(60):
            opt.zero_grad()
            loss = model(torch.randn(8, 4)).pow(2).mean()
            if step == 40:
                loss = loss * float("inf")
            loss.backward()
            if mon.check(loss):
                opt.step()
    lines = path.read_text().splitlines()
    assert lines and all(parse_event(line) for line in lines)
    assert parse_event(lines[0])["anomaly"] == "nan"
