import math

import pytest

from sentinel.contract.events import decision_event, outcome_name
from sentinel.monitor.experience import OUTCOME_VALUE, ExperienceLog
from sentinel.monitor.signals import SignalWindow


def _window(losses):
    win = SignalWindow(256, 64, 8, 8, 0.05, 0.02)
    for step, loss in enumerate(losses):
        win.push(step, loss, 1.0, 1e-3)
    return win


def _event(anomaly="divergence", action="lr_cut"):
    return decision_event(10, anomaly, {"z": 7.0}, action, {"factor": 0.3})


def test_recovered_when_quiet_and_back_near_the_reference():
    log = ExperienceLog(horizon=20, tolerance=0.25)
    log.open(_event(), tick=10, ref_loss=1.0, episode=1)
    assert log.due(29, _window([1.1] * 40), last_finding_tick=10) == []
    [done] = log.due(30, _window([1.1] * 40), last_finding_tick=10)
    assert outcome_name(done["params"]["outcome"]) == "recovered"
    assert done["params"]["reward"] == pytest.approx(OUTCOME_VALUE["recovered"] - 0.1)
    assert done["params"]["loss_ratio"] == pytest.approx(1.1)


def test_persisting_when_findings_continue_or_loss_stays_high():
    for losses, last_finding in (([1.1] * 40, 25), ([3.0] * 40, 10)):  # a finding 5 steps ago; 3x worse
        log = ExperienceLog(horizon=20, tolerance=0.25)
        log.open(_event(), tick=10, ref_loss=1.0, episode=1)
        [done] = log.due(30, _window(losses), last_finding_tick=last_finding)
        assert outcome_name(done["params"]["outcome"]) == "persisting"
        assert done["params"]["reward"] == pytest.approx(OUTCOME_VALUE["persisting"] - 0.1)


def test_plateau_recovers_only_if_the_loss_went_down():
    outcomes = []
    for level in (1.05, 0.5):
        log = ExperienceLog(horizon=20, tolerance=0.25)
        log.open(_event("plateau", "lr_restart"), tick=0, ref_loss=1.0, episode=0)
        [done] = log.due(20, _window([level] * 40), last_finding_tick=-100)
        outcomes.append(outcome_name(done["params"]["outcome"]))
    assert outcomes == ["persisting", "recovered"]


def test_escalation_closes_only_that_episode():
    log = ExperienceLog(horizon=20, tolerance=0.25)
    log.open(_event(), tick=10, ref_loss=1.0, episode=1)
    log.open(_event(), tick=12, ref_loss=1.0, episode=2)
    [done] = log.escalated(episode=1, tick=15)
    assert outcome_name(done["params"]["outcome"]) == "escalated" and done["params"]["steps_after"] == 5.0
    assert len(log.pending) == 1


def test_finish_marks_stopped_or_run_ended():
    log = ExperienceLog(horizon=20, tolerance=0.25)
    log.open(_event(action="stop"), tick=10, ref_loss=math.nan, episode=1)
    [done] = log.finish(tick=11, stopped=True)
    assert outcome_name(done["params"]["outcome"]) == "stopped" and done["params"]["reward"] == pytest.approx(
        -2.0
    )
    assert log.pending == []
