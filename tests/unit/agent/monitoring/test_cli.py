"""`sentinel monitor spec|status` through the real typer app (agent/cli/monitor.py)."""

import json

from typer.testing import CliRunner

from sentinel.agent.cli.monitor import app
from sentinel.contract.events import decision_event, experience_event

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
    path.write_text("".join(json.dumps(e) + "\n" for e in lines))
    result = runner.invoke(app, ["status", "--events", str(path), "--json"])
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["experiences"][0]["outcome"] == "recovered" and out["experiences"][0]["step"] == 7
    assert out["notes"] == []
    table = runner.invoke(app, ["status", "--events", str(path)])
    assert table.exit_code == 0 and "recovered" in table.stdout


def test_status_rejects_a_hostile_file_whole_and_says_so_in_its_own_words(tmp_path):
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    decision = decision_event(7, "nan", {"loss_finite": 0.0}, "skip", {})
    good.write_text(json.dumps(experience_event(decision, "recovered", 1.0, {})) + "\n")
    bad.write_text(json.dumps(experience_event(decision, "stopped", 1.0, {})) + '\n{"evil": "text"}\n')
    result = runner.invoke(app, ["status", "--events", str(good), "--events", str(bad), "--json"])
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert [r["outcome"] for r in out["experiences"]] == ["recovered"]  # nothing of the bad file
    [note] = out["notes"]
    assert note["file"] == 1 and "line 2" in note["rejected"] and "evil" not in json.dumps(note)
    table = runner.invoke(app, ["status", "--events", str(good), "--events", str(bad)])
    assert table.exit_code == 0 and "evil" not in table.stdout + table.stderr
    assert "file 1: rejected" in table.stderr


def _store_with_experiences(path):
    """A real FeedbackStore holding two finished runs of one campaign, as the loop records them."""
    from types import MappingProxyType as mp

    from sentinel.agent.goals import load_goal
    from sentinel.agent.store import FeedbackStore
    from sentinel.contract.records import MonitorEvent, RunArtifacts, RunSummary

    store = FeedbackStore(path)
    store.create_campaign(load_goal("digits:quick"), seed=1, campaign_id="camp-a")
    run_ids = []
    for i, (anomaly, action, outcome) in enumerate([("nan", "skip", 1.0), ("loss_spike", "rollback", 2.0)]):
        p = store.add_proposal("camp-a", tier=1, brain="strategist", overrides={}, rationale="r")
        store.record_validation(p.id, True)
        store.record_approval(p.id, "approved", "auto")
        claim = store.claim_next("camp-a")
        events = (
            MonitorEvent(5, "mediocre", "none", mp({"regress": 1.6}), mp({})),  # a run-quality report
            MonitorEvent(10 + i, anomaly, action, mp({"z": 9.0}), mp({})),
            MonitorEvent(
                10 + i,
                anomaly,
                action,
                mp({"z": 9.0}),
                mp({"outcome": outcome, "reward": 0.5}),
                kind="experience",
            ),
        )
        artifacts = RunArtifacts(summary=RunSummary("completed", 1, 20, reason="completed"), events=events)
        store.record_run(
            claim.run.run_id, "completed", reason="the run exited with code 0", artifacts=artifacts
        )
        run_ids.append(claim.run.run_id)
    store.close()
    return run_ids


def test_status_reads_the_experience_store_by_default(tmp_path, monkeypatch):
    run_ids = _store_with_experiences(tmp_path / "feedback.db")
    result = runner.invoke(app, ["status", "--store", str(tmp_path / "feedback.db"), "--json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["experiences"]
    assert [(r["source"], r["anomaly"], r["action"], r["outcome"]) for r in rows] == [
        (run_ids[0], "mediocre", "none", "reported"),
        (run_ids[0], "nan", "skip", "recovered"),
        (run_ids[1], "mediocre", "none", "reported"),
        (run_ids[1], "loss_spike", "rollback", "persisting"),
    ]  # experiences and run-quality reports (no intervention lines), oldest first
    assert rows[3]["reward"] == 0.5 and rows[3]["evidence"] == {"z": 9.0}
    assert rows[0]["reward"] is None and rows[0]["evidence"] == {"regress": 1.6}
    newest = runner.invoke(app, ["status", "--store", str(tmp_path / "feedback.db"), "--n", "1"])
    assert newest.exit_code == 0 and "rollback" in newest.stdout and "skip" not in newest.stdout
    monkeypatch.setattr("sentinel.sandbox.paths.RUNS_DIR", tmp_path)  # the campaigns' default store
    assert runner.invoke(app, ["status", "--campaign", "camp-a", "--json"]).exit_code == 0


def test_status_bad_input_is_one_line_and_exit_2(tmp_path):
    missing = runner.invoke(app, ["status", "--store", str(tmp_path / "none.db")])
    assert missing.exit_code == 2 and "no experience store" in missing.stderr
    assert not (tmp_path / "none.db").exists()  # reading never creates a store
    _store_with_experiences(tmp_path / "feedback.db")
    unknown = runner.invoke(app, ["status", "--store", str(tmp_path / "feedback.db"), "--campaign", "nope"])
    assert unknown.exit_code == 2 and "nope" in unknown.stderr
    mixed = runner.invoke(app, ["status", "--events", str(tmp_path / "x.jsonl"), "--campaign", "camp-a"])
    assert mixed.exit_code == 2


def test_bench_refuses_bad_input_before_running_anything(tmp_path):
    suite = tmp_path / "suite.yaml"
    suite.write_text("conditions: [{name: x, experiment: digits, colour: red}]\n")
    result = runner.invoke(app, ["bench", "--suite", str(suite), "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "colour" in result.stderr
    result = runner.invoke(app, ["bench", "--data-dir", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "sentinel data prepare" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_bench_space_refuses_bad_input_before_running_anything(tmp_path):
    from pathlib import Path

    space = Path(__file__).resolve().parents[4] / "configs" / "monitor" / "space.yaml"
    out = tmp_path / "out"
    cases = [
        (["--space", str(space), "--split", "train"], "split"),
        (["--space", str(space), "--sample", "1"], "sample"),
        (["--space", str(space), "--suite", str(space)], "alternatives"),
    ]
    for args, needle in cases:
        result = runner.invoke(app, ["bench", *args, "--out", str(out), "--executor", "host"])
        assert result.exit_code == 2 and needle in result.stderr, (args, result.stderr)
    bad = tmp_path / "space.yaml"
    bad.write_text(space.read_text().replace("max_faults: 3", "max_faults: 30"))
    result = runner.invoke(app, ["bench", "--space", str(bad), "--out", str(out), "--executor", "host"])
    assert result.exit_code == 2 and "max_faults" in result.stderr
    assert not out.exists()
