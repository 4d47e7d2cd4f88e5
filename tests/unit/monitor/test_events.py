import json

import pytest

from sentinel.monitor.events import (
    MAX_LINE_BYTES,
    EventError,
    decision_event,
    experience_event,
    parse_event,
)


def _decision():
    return decision_event(12, "loss_spike", {"z": 9.5, "bad": float("nan")}, "skip_step", {"factor": 0.3})


def test_decision_has_exactly_the_design_schema_and_finite_numbers():
    event = _decision()
    assert set(event) == {"step", "anomaly", "evidence", "action", "params"}
    assert event["evidence"] == {"z": 9.5}  # NaN dropped: strict JSON has no NaN
    assert parse_event(json.dumps(event)) == event


def test_experience_round_trips():
    event = experience_event(_decision(), "recovered", 1.0, {"loss_ratio": 0.9})
    assert parse_event(json.dumps(event).encode()) == event


def test_builders_refuse_free_text():
    with pytest.raises(ValueError):
        decision_event(1, "something else", {}, "skip_step", {})
    with pytest.raises(ValueError):
        experience_event(_decision(), "great", 1.0, {})


@pytest.mark.parametrize(
    "line",
    [
        "[]",
        "not json",
        '{"step": 1}',
        '{"step": 1, "anomaly": "nan", "evidence": {}, "action": "rm -rf", "params": {}}',
        '{"step": 1, "anomaly": "<script>", "evidence": {}, "action": "clip", "params": {}}',
        '{"step": -1, "anomaly": "nan", "evidence": {}, "action": "clip", "params": {}}',
        '{"step": true, "anomaly": "nan", "evidence": {}, "action": "clip", "params": {}}',
        '{"step": 1, "anomaly": "nan", "evidence": {"x": NaN}, "action": "clip", "params": {}}',
        '{"step": 1, "anomaly": "nan", "evidence": {"x": "1"}, "action": "clip", "params": {}}',
        '{"step": 1, "anomaly": "nan", "evidence": {"Bad Key": 1}, "action": "clip", "params": {}}',
        '{"step": 1, "anomaly": "nan", "evidence": {}, "action": "clip", "params": {}, "extra": 1}',
        '{"step": 1, "anomaly": "nan", "evidence": {}, "action": "clip", "params": {}, '
        '"outcome": "won", "reward": 1, "measured": {}}',
        '{"step": 1, "anomaly": "nan", "evidence": {}, "action": "clip", "params": {}, '
        '"outcome": "recovered", "reward": 1e999, "measured": {}}',
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
