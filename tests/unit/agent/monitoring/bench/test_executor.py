"""The host executor's outcome: the run folder read by the sandbox's hostile reader."""

import json
import math

from sentinel.agent.monitoring.bench.executor import read_outcome

SUMMARY = {
    "status": "completed",
    "epochs": 1,
    "steps": 304,
    "best": {"epoch": 0, "step": 300, "val/loss": 0.019},
    "final": {"epoch": 0, "step": 304, "val/loss": 0.02},
}


def _write(path, obj):
    path.write_text(json.dumps(obj))
    return path


def test_summary_fields(tmp_path):
    _write(tmp_path / "summary.json", SUMMARY)
    outcome = read_outcome(tmp_path, 0, 1.0)
    assert (outcome.status, outcome.steps, outcome.final_loss, outcome.best_loss) == (
        "completed",
        304,
        0.02,
        0.019,
    )
    assert outcome.rejection is None and outcome.events == ()


def test_hostile_summaries_are_errors_with_the_readers_reason(tmp_path):
    cases = {
        "claim": {**SUMMARY, "status": "i won"},
        "list": [1, 2, 3],
        "big": {**SUMMARY, "x": "a" * 70_000},
    }
    for name, case in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        _write(folder / "summary.json", case)
        outcome = read_outcome(folder, 0, 1.0)
        assert outcome.status == "error" and outcome.rejection, name
    nan = tmp_path / "nan"
    nan.mkdir()
    (nan / "summary.json").write_text('{"status": "completed", "final": {"val/loss": NaN}}')
    assert read_outcome(nan, 0, 1.0).status == "error"


def test_a_linked_summary_is_never_followed(tmp_path):
    real = _write(tmp_path / "real.json", SUMMARY)
    folder = tmp_path / "artifacts"
    folder.mkdir()
    (folder / "summary.json").symlink_to(real)
    outcome = read_outcome(folder, 0, 1.0)
    assert outcome.status == "error" and "symlink" in (outcome.rejection or "")
    link = tmp_path / "linked-folder"
    link.symlink_to(folder)
    assert read_outcome(link, 0, 1.0).status == "error"


def test_a_null_loss_stays_nan(tmp_path):
    final = {"epoch": 0, "step": 9, "val/loss": None}
    _write(tmp_path / "summary.json", {**SUMMARY, "status": "diverged", "final": final, "best": final})
    outcome = read_outcome(tmp_path, 3, 1.0)
    assert outcome.status == "diverged" and math.isnan(outcome.final_loss) and math.isnan(outcome.best_loss)


def test_missing_artifacts_or_timeout_is_an_error_outcome(tmp_path):
    assert read_outcome(tmp_path, exit_code=0, seconds=1.0).status == "error"
    _write(tmp_path / "summary.json", SUMMARY)
    assert read_outcome(tmp_path, exit_code=None, seconds=600.0).status == "error"
    assert read_outcome(tmp_path, exit_code=0, seconds=1.0).status == "completed"
