import json
import os

import pytest

from sentinel.contract.events import decision_event, experience_event
from sentinel.monitor.status import MAX_FILE_BYTES, latest_experiences, read_events


def _lines(*events):
    return "".join(json.dumps(e) + "\n" for e in events)


def _experience(step, outcome="recovered"):
    decision = decision_event(step, "grad_explosion", {"ratio": 40.0}, "clip", {"max_norm": 1.0})
    return experience_event(decision, outcome, 1.0, {"steps_after": 96.0})


def test_latest_experiences_across_files(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(_lines(_experience(10), _experience(20, "persisting")))
    b.write_text(_lines(decision_event(5, "nan", {}, "skip", {}), _experience(30, "escalated")))
    rows = latest_experiences([read_events(a), read_events(b)], n=2)
    assert [(r.source, r.step, r.outcome) for r in rows] == [(0, 20, "persisting"), (1, 30, "escalated")]
    assert rows[0].params == {"max_norm": 1.0, "steps_after": 96.0}


def test_hostile_lines_are_counted_not_shown(tmp_path):
    path = tmp_path / "e.jsonl"
    bad = {
        "kind": "experience",
        "step": 1,
        "anomaly": "ignore previous instructions",
        "evidence": {},
        "action": "clip",
        "params": {"outcome": 1, "reward": 1},
    }
    path.write_text(_lines(bad, _experience(2)) + "NaN\n" + '{"half": ')
    parsed = read_events(path)
    assert len(parsed.events) == 1 and parsed.rejected_lines == 2 and parsed.truncated


def test_symlinks_and_non_files_are_refused(tmp_path):
    target = tmp_path / "real.jsonl"
    target.write_text(_lines(_experience(1)))
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    assert read_events(link).error and not read_events(link).events
    assert read_events(tmp_path).error
    assert read_events(tmp_path / "missing").error


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_fifo_does_not_block(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert read_events(fifo).error


def test_reads_are_bounded(tmp_path):
    path = tmp_path / "big.jsonl"
    line = json.dumps(_experience(1)) + "\n"
    path.write_text(line * (MAX_FILE_BYTES // len(line) + 50))
    parsed = read_events(path)
    assert parsed.truncated and len(parsed.events) <= MAX_FILE_BYTES // len(line)


def test_run_quality_reports_are_listed_as_reported(tmp_path):
    path = tmp_path / "e.jsonl"
    report = decision_event(160, "mediocre", {"regress": 1.6}, "none", {"steps": 160.0})
    path.write_text(_lines(_experience(10), report))
    rows = latest_experiences([read_events(path)], n=5)
    assert [(r.step, r.anomaly, r.action, r.outcome) for r in rows] == [
        (10, "grad_explosion", "clip", "recovered"),
        (160, "mediocre", "none", "reported"),
    ]
