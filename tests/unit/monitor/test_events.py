import json
import math

import pytest

from sentinel.contract.events import (
    MAX_LINE_BYTES,
    OUTCOME_CODES,
    EventError,
    decision_event,
    experience_event,
    outcome_name,
    parse_event,
)


def _decision():
    return decision_event(12, "loss_spike", {"z": 9.5, "bad": float("nan")}, "skip", {"factor": 0.3})


def test_decision_has_the_design_schema_plus_kind_and_finite_numbers():
    event = _decision()
    assert set(event) == {"kind", "step", "anomaly", "evidence", "action", "params"}
    assert event["kind"] == "intervention"
    assert event["evidence"] == {"z": 9.5}  # NaN dropped: strict JSON has no NaN
    assert parse_event(json.dumps(event)) == event


def test_experience_carries_outcome_as_a_code_and_round_trips():
    event = experience_event(_decision(), "recovered", 0.9, {"loss_ratio": 0.8, "bad": math.inf})
    assert event["kind"] == "experience" and event["evidence"] == {"z": 9.5}
    assert event["params"] == {"factor": 0.3, "loss_ratio": 0.8, "outcome": 1.0, "reward": 0.9}
    assert parse_event(json.dumps(event).encode()) == event
    assert outcome_name(event["params"]["outcome"]) == "recovered"


def test_outcome_codes_are_distinct_and_reversible():
    assert sorted(OUTCOME_CODES.values()) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert all(outcome_name(code) == name for name, code in OUTCOME_CODES.items())
    assert outcome_name(9.0) is None


def test_builders_refuse_free_text():
    with pytest.raises(ValueError):
        decision_event(1, "something else", {}, "skip", {})
    with pytest.raises(ValueError):
        experience_event(_decision(), "great", 1.0, {})


def test_trainer_nulls_and_a_missing_kind_are_accepted():
    line = '{"step": 3, "anomaly": "nan", "evidence": {"loss": null}, "action": "skip", "params": {}}'
    event = parse_event(line)
    assert event["kind"] == "intervention" and math.isnan(event["evidence"]["loss"])


@pytest.mark.parametrize(
    "line",
    [
        "[]",
        "not json",
        '{"step": 1}',
        '{"step": 1, "anomaly": "nan", "evidence": {}, "action": "rm -rf", "params": {}}',
        '{"step": 1, "anomaly": "<script>", "evidence": {}, "action": "clip", "params": {}}',
        '{"step": 1, "anomaly": "nan", "evidence": {}, "action": "clip", "params": {}, "kind": "chat"}',
        '{"step": -1, "anomaly": "nan", "evidence": {}, "action": "clip", "params": {}}',
        '{"step": true, "anomaly": "nan", "evidence": {}, "action": "clip", "params": {}}',
        '{"step": 1, "anomaly": "nan", "evidence": {"x": NaN}, "action": "clip", "params": {}}',
        '{"step": 1, "anomaly": "nan", "evidence": {"x": "1"}, "action": "clip", "params": {}}',
        '{"step": 1, "anomaly": "nan", "evidence": {"Bad Key": 1}, "action": "clip", "params": {}}',
        '{"step": 1, "anomaly": "nan", "evidence": {}, "action": "clip", "params": {}, "extra": 1}',
        '{"kind": "experience", "step": 1, "anomaly": "nan", "evidence": {}, "action": "clip", "params": {}}',
        '{"kind": "experience", "step": 1, "anomaly": "nan", "evidence": {}, "action": "clip", '
        '"params": {"outcome": 7, "reward": 1}}',
        '{"step": 1, "anomaly": "nan", "evidence": {}, "action": "clip", "params": {"reward": 1e999}}',
        "x" * (MAX_LINE_BYTES + 1),
        b"\xff\xfe",
    ],
)
def test_hostile_lines_are_rejected(line):
    with pytest.raises(EventError):
        parse_event(line)


def test_too_many_keys_are_rejected():
    event = _decision()
    event["evidence"] = {f"k{i}": 1.0 for i in range(40)}
    with pytest.raises(EventError):
        parse_event(json.dumps(event))


def test_every_name_the_monitor_writes_is_in_the_one_vocabulary():
    """Every detector, action and outcome the monitor can write must get past every reader."""
    from sentinel.contract import vocabulary
    from sentinel.monitor.actions import ACTIONS
    from sentinel.monitor.detectors import DETECTORS

    assert {d.name for d in DETECTORS} <= vocabulary.ANOMALIES
    assert set(ACTIONS) <= vocabulary.ACTIONS
    assert set(OUTCOME_CODES) == set(vocabulary.OUTCOMES)
