"""`sentinel monitor spec|status` through the real typer app (agent/cli/monitor.py)."""

import json

from typer.testing import CliRunner

from sentinel.agent.cli.monitor import app
from sentinel.monitor.events import decision_event, experience_event

runner = CliRunner()


def test_spec_prints_markdown():
    result = runner.invoke(app, ["spec"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# Sentinel in-loop monitor")


def test_spec_with_a_bad_config_is_bad_input(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("spike_zz: 3\n")
    result = runner.invoke(app, ["spec", "--config", str(path)])
    assert result.exit_code == 2


def test_status_lists_experiences_as_json(tmp_path):
    path = tmp_path / "monitor_events.jsonl"
    decision = decision_event(7, "nan", {"loss_finite": 0.0}, "skip", {})
    lines = [decision, experience_event(decision, "recovered", 1.0, {"steps_after": 96.0})]
    path.write_text("".join(json.dumps(e) + "\n" for e in lines) + '{"evil": "text"}\n')
    result = runner.invoke(app, ["status", "--events", str(path), "--json"])
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["experiences"][0]["outcome"] == "recovered" and out["experiences"][0]["step"] == 7
    assert out["notes"] == [{"file": 0, "error": None, "rejected_lines": 1, "truncated": False}]
    table = runner.invoke(app, ["status", "--events", str(path)])
    assert table.exit_code == 0 and "recovered" in table.stdout and "evil" not in table.stdout


def test_status_without_files_is_bad_input():
    assert runner.invoke(app, ["status"]).exit_code == 2


def test_bench_refuses_bad_input_before_running_anything(tmp_path):
    suite = tmp_path / "suite.yaml"
    suite.write_text("conditions: [{name: x, experiment: digits, colour: red}]\n")
    result = runner.invoke(app, ["bench", "--suite", str(suite), "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "colour" in result.stderr
    result = runner.invoke(app, ["bench", "--data-dir", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "sentinel data prepare" in result.stderr
    assert not (tmp_path / "runs").exists()
