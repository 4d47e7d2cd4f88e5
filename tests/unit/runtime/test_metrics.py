"""Artifact writers: strict JSON, non-finite as null plus a flag, byte caps, event shapes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from sentinel.sandbox.runtime.metrics import EventWriter, JsonlWriter, MetricsWriter, write_summary


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_train_and_val_lines_follow_the_contract(tmp_path: Path) -> None:
    writer = MetricsWriter(tmp_path)
    writer.train(1, 0, 0.5, 2.0, 1e-3)
    writer.train(2, 0, math.nan, math.inf, 1e-3, fault="nan_loss")
    writer.val(2, 0, {"loss": 0.4, "acc": 0.9, "f1": -math.inf})
    # Readable before close: each line is flushed as written, so the host can follow live.
    first, second, val = _lines(tmp_path / "metrics.jsonl")
    writer.close()
    assert first == {"step": 1, "epoch": 0, "split": "train", "loss": 0.5, "grad_norm": 2.0, "lr": 1e-3}
    assert second["loss"] is None and second["grad_norm"] is None
    assert second["nonfinite"] == ["loss", "grad_norm"] and second["fault"] == "nan_loss"
    assert val == {
        "step": 2,
        "epoch": 0,
        "split": "val",
        "loss": 0.4,
        "acc": 0.9,
        "f1": None,
        "nonfinite": ["f1"],
    }
    assert "NaN" not in (tmp_path / "metrics.jsonl").read_text()


def test_beyond_float32_counts_as_nonfinite(tmp_path: Path) -> None:
    writer = MetricsWriter(tmp_path)
    writer.train(1, 0, 1e39, 1.0, 1e-3)
    writer.close()
    assert _lines(tmp_path / "metrics.jsonl")[0]["nonfinite"] == ["loss"]


def test_train_lines_stop_at_the_cap_but_val_lines_keep_a_reserve(tmp_path: Path) -> None:
    cap = 600 * 1024
    writer = MetricsWriter(tmp_path, max_bytes=cap)
    step = 0
    while writer.train(step, 0, 0.1, 0.1, 0.1):
        step += 1
    assert writer.truncated and step > 100
    assert writer.val(step, 0, {"loss": 0.1})
    writer.close()
    size = (tmp_path / "metrics.jsonl").stat().st_size
    assert size <= cap and _lines(tmp_path / "metrics.jsonl")[-1]["split"] == "val"


def test_jsonl_writer_never_exceeds_its_cap(tmp_path: Path) -> None:
    writer = JsonlWriter(tmp_path / "x.jsonl", max_bytes=100)
    written = sum(writer.write({"k": "v" * 20}) for _ in range(50))
    writer.close()
    assert written == 3 and writer.dropped == 47 and (tmp_path / "x.jsonl").stat().st_size <= 100


def test_events_are_checked_and_nonfinite_evidence_is_null(tmp_path: Path) -> None:
    events = EventWriter(tmp_path)
    events.record(
        {
            "step": 5,
            "anomaly": "nan",
            "evidence": {"loss": math.nan},
            "action": "rollback",
            "params": {"to_step": 3},
        }
    )
    events.record(
        {
            "kind": "experience",
            "step": 9,
            "anomaly": "nan",
            "evidence": {},
            "action": "none",
            "params": {"val/loss": 1, "outcome": 1, "reward": 0.5},
        }
    )
    for bad in (
        {"step": -1, "anomaly": "nan", "action": "none"},
        {"step": 1, "anomaly": "Free text!", "action": "none"},
        {"step": 1, "anomaly": "nan", "action": "none", "evidence": {"x": "text"}},
        {"step": 1, "anomaly": "nan", "action": "none", "evidence": {"Bad Key": 1.0}},
        {"step": 1, "anomaly": "nan", "action": "none", "note": "extra"},
        {"step": 1, "anomaly": "nan", "action": "none", "kind": "gossip"},
    ):
        with pytest.raises(ValueError):
            events.record(bad)
    events.close()
    first, second = _lines(tmp_path / "monitor_events.jsonl")
    assert first == {
        "kind": "intervention",
        "step": 5,
        "anomaly": "nan",
        "action": "rollback",
        "evidence": {"loss": None},
        "params": {"to_step": 3.0},
    }
    assert second["kind"] == "experience"
    assert second["params"] == {"val/loss": 1.0, "outcome": 1.0, "reward": 0.5}


def test_summary_is_strict_json_and_atomic(tmp_path: Path) -> None:
    write_summary(tmp_path, {"status": "diverged", "final": {"val/loss": math.nan}, "steps": 3})
    assert json.loads((tmp_path / "summary.json").read_text())["final"] == {"val/loss": None}
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_the_host_reader_accepts_what_the_writers_write(tmp_path: Path) -> None:
    """Contract check against sandbox/artifacts: nulls, flags, faults and events all pass."""
    from sentinel.sandbox.artifacts import read_artifacts

    metrics, events = MetricsWriter(tmp_path), EventWriter(tmp_path)
    metrics.train(1, 0, 0.5, 1.0, 1e-3)
    metrics.train(2, 0, math.nan, math.inf, 1e-3, fault="nan_loss")
    metrics.val(2, 0, {"loss": math.nan, "acc": 0.5, "f1": 0.4})
    events.record(
        {"step": 2, "anomaly": "nan", "evidence": {"loss": math.nan}, "action": "skip", "params": {}}
    )
    metrics.close()
    events.close()
    final = {"epoch": 0, "step": 2, "val/loss": math.nan}
    summary = {
        "status": "diverged",
        "reason": "nan_loss",
        "epochs": 0,
        "steps": 2,
        "best": None,
        "final": final,
    }
    write_summary(tmp_path, summary)
    read = read_artifacts(tmp_path)
    assert read.accepted and not read.notes, (read.rejection, read.notes)
    assert [m.fault for m in read.metrics] == [None, "nan_loss", None] and read.events[0].action == "skip"
    assert read.summary is not None and read.summary.reason == "nan_loss"
