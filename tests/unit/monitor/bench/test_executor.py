import json
import math

from sentinel.monitor.bench.executor import read_outcome, read_summary


def _write(path, obj):
    path.write_text(json.dumps(obj))
    return path


def test_summary_fields(tmp_path):
    path = _write(
        tmp_path / "summary.json",
        {"status": "completed", "steps": 304, "final": {"val/loss": 0.02}, "best": {"val/loss": 0.019}},
    )
    assert read_summary(path) == {"status": "completed", "steps": 304, "final_loss": 0.02, "best_loss": 0.019}


def test_hostile_summaries_are_unusable(tmp_path):
    cases = [
        {"status": "i won", "steps": 1},
        [1, 2, 3],
    ]
    for i, case in enumerate(cases):
        assert read_summary(_write(tmp_path / f"s{i}.json", case)) is None
    (tmp_path / "nan.json").write_text('{"status": "completed", "final": {"val/loss": NaN}}')
    assert read_summary(tmp_path / "nan.json") is None
    (tmp_path / "big.json").write_text('{"status": "completed", "x": "' + "a" * 70_000 + '"}')
    assert read_summary(tmp_path / "big.json") is None
    link = tmp_path / "link.json"
    link.symlink_to(_write(tmp_path / "real.json", {"status": "completed"}))
    assert read_summary(link) is None


def test_odd_values_become_nan_or_zero(tmp_path):
    path = _write(
        tmp_path / "summary.json", {"status": "diverged", "steps": True, "final": {"val/loss": "x"}}
    )
    summary = read_summary(path)
    assert summary["steps"] == 0 and math.isnan(summary["final_loss"])


def test_missing_artifacts_or_timeout_is_an_error_outcome(tmp_path):
    assert read_outcome(tmp_path, exit_code=0, seconds=1.0).status == "error"
    _write(tmp_path / "summary.json", {"status": "completed", "final": {"val/loss": 1.0}})
    assert read_outcome(tmp_path, exit_code=None, seconds=600.0).status == "error"
    assert read_outcome(tmp_path, exit_code=0, seconds=1.0).status == "completed"
