"""The event schema is one contract: what the container writes, every reader reads back as built.

The writer is the trainer's real `EventWriter` (`event_line`), the readers are the host's hostile
artifact reader (`read_artifacts`) and the line parser `monitor status` uses (`parse_event`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel.contract import vocabulary
from sentinel.contract.events import (
    MAX_KEYS,
    EventError,
    check_event,
    decision_event,
    event_line,
    experience_event,
    parse_event,
)
from sentinel.sandbox.artifacts import read_artifacts
from sentinel.sandbox.runtime.metrics import EventWriter

names = st.from_regex(vocabulary.EVIDENCE_NAME, fullmatch=True)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6),
    st.integers(min_value=-(2**31), max_value=2**31),
)
measurements = st.dictionaries(names, numbers, max_size=MAX_KEYS - 4)


@st.composite
def built_events(draw: Any) -> list[dict[str, Any]]:
    """What the monitor builds: decisions, some followed by their experience."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        decision = decision_event(
            draw(st.integers(0, vocabulary.MAX_STEP)),
            draw(st.sampled_from(sorted(vocabulary.ANOMALIES))),
            draw(measurements),
            draw(st.sampled_from(sorted(vocabulary.ACTIONS))),
            draw(measurements),
        )
        out.append(decision)
        if draw(st.booleans()):
            measured = draw(st.dictionaries(names, numbers, max_size=2))
            outcome = draw(st.sampled_from(vocabulary.OUTCOMES))
            reward = draw(st.floats(-10, 10))
            out.append(experience_event(decision, outcome, reward, measured))
    return out


@settings(max_examples=60, deadline=None)
@given(built_events())
def test_every_event_the_writer_writes_reads_back_identically(events: list[dict[str, Any]]) -> None:
    with TemporaryDirectory() as tmp:
        folder = Path(tmp)
        writer = EventWriter(folder)
        for event in events:
            writer.record(event)
        writer.close()
        lines = (folder / "monitor_events.jsonl").read_bytes().splitlines()
        assert [parse_event(line) for line in lines] == events  # monitor status's reader
        result = read_artifacts(folder)  # the host's hostile reader
    assert result.accepted, result.rejection
    read = [
        {
            "kind": e.kind,
            "step": e.step,
            "anomaly": e.anomaly,
            "evidence": dict(e.evidence),
            "action": e.action,
            "params": dict(e.params),
        }
        for e in result.events
    ]
    assert read == events


def test_nonfinite_measurements_are_written_as_null_and_read_as_nan(tmp_path: Path) -> None:
    line = event_line({**decision_event(3, "nan", {}, "skip", {}), "evidence": {"loss": math.inf}})
    assert line["evidence"] == {"loss": None} and json.dumps(line, allow_nan=False)
    assert math.isnan(check_event(json.loads(json.dumps(line)))["evidence"]["loss"])


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"anomaly": "free text"}, "field 'anomaly' is not one of"),
        ({"action": "exfiltrate"}, "field 'action' is not one of"),
        ({"kind": "note"}, "field 'kind' is not one of"),
        ({"step": True}, "field 'step' is not an integer"),
        ({"step": vocabulary.MAX_STEP + 1}, "field 'step' is outside"),
        ({"evidence": {"Free Text": 1.0}}, "has a key that is not a valid name"),
        ({"evidence": {f"k{i}": 1.0 for i in range(MAX_KEYS + 1)}}, "more than 32 keys"),
        ({"params": {"x": "1"}}, "field 'params.x' is not a number"),
        ({"kind": "experience"}, "experience has no valid 'outcome'"),
        ({"note": "hi"}, "has an unknown field"),
    ],
)
def test_writer_and_readers_refuse_the_same_records(change: dict[str, Any], problem: str) -> None:
    bad = {**decision_event(1, "nan", {}, "skip", {}), **change}
    for check in (event_line, check_event):
        with pytest.raises(EventError, match=problem):
            check(bad)


def test_a_line_past_the_cap_or_with_nan_constants_is_refused() -> None:
    with pytest.raises(EventError, match="not strict JSON"):
        parse_event('{"step": 1, "anomaly": "nan", "evidence": {"x": NaN}, "action": "skip", "params": {}}')
    with pytest.raises(EventError, match="exceeds"):
        parse_event(b"{" + b" " * 5000 + b"}")
