"""The executor seam without a cluster: choosing an executor, the bounded node -> head transfer
re-read by the hostile reader, and a `lost` run retried once by the loop and the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_campaign_loop import ArtifactLauncher, ListBrain, _goal, _runner

from sentinel.agent.errors import BadInput
from sentinel.agent.executors import LocalExecutor, RunLost, make_executor
from sentinel.agent.executors._transfer import pack_run, receive
from sentinel.agent.executors.cluster import node_command
from sentinel.agent.executors.ray_cluster import check_address
from sentinel.agent.launch import LaunchOutcome
from sentinel.agent.store import FeedbackStore
from sentinel.contract.records import RunResult, TrustedMetrics
from sentinel.sandbox.artifacts import read_artifacts
from sentinel.sandbox.run import write_run_record

POINT = {"epoch": 0, "step": 10, "val/loss": 0.2, "val/acc": 0.8}
CONFIG = {"experiment": {"name": "digits", "seed": 0}}


def _node_outcome(folder: Path, trusted: dict | None = None) -> LaunchOutcome:
    """A finished run as launch_run leaves it on a node: artifacts, stdout.log, run.json."""
    art = folder / "artifacts"
    art.mkdir(parents=True)
    (art / "metrics.jsonl").write_text(
        json.dumps({"split": "val", "step": 10, "epoch": 0, "loss": 0.2, "acc": 0.8}) + "\n"
    )
    (art / "summary.json").write_text(
        json.dumps({"status": "completed", "epochs": 1, "steps": 10, "best": POINT, "final": POINT})
    )
    (art / "checkpoint.pt").write_bytes(b"\x80opaque")
    (folder / "stdout.log").write_bytes(b"epoch 0 done\n")
    result = RunResult(
        run_id="digits-r1",
        status="completed",
        reason="the run exited with code 0",
        exit_code=0,
        oom_killed=False,
        timed_out=False,
        isolation="runc",
        image="sentinel-run:digits-r1",
        seconds=3.5,
        out_dir=folder,
        log_tail="epoch 0 done\n",
        artifacts=read_artifacts(art),
        trusted=TrustedMetrics({"val/acc": 0.8, "test/acc": 0.75}, None, 1.25) if trusted is None else None,
    )
    write_run_record(
        result, {"runtime_image": "sentinel-runtime:abc", "config_sha256": "0" * 64, "kept_image": False}
    )
    return LaunchOutcome("digits-r1", "completed", result.reason, folder, CONFIG, result=result)


NODE = {"node_id": "n" * 56, "hostname": "node-a", "pid": "123"}


def test_the_head_gets_the_node_run_through_its_own_reader(tmp_path):
    report = pack_run(_node_outcome(tmp_path / "node"), NODE)
    head = tmp_path / "head" / "digits-r1"
    outcome = receive(report, head, {"name": "ray", **NODE})
    assert outcome.status == "completed" and outcome.out_dir == head
    result = outcome.result
    assert result.out_dir == head and result.exit_code == 0 and result.seconds == 3.5
    assert dict(result.trusted.values) == {"val/acc": 0.8, "test/acc": 0.75}
    assert result.artifacts.accepted and result.artifacts.summary.best.values["val/acc"] == 0.8
    for name in ("metrics.jsonl", "summary.json", "checkpoint.pt"):
        assert (head / "artifacts" / name).read_bytes() == (
            tmp_path / "node" / "artifacts" / name
        ).read_bytes()
    record = json.loads((head / "run.json").read_text())
    assert (
        record["executor"]["node_id"] == NODE["node_id"] and record["runtime_image"] == "sentinel-runtime:abc"
    )
    assert record["trusted"]["values"]["test/acc"] == 0.75 and record["out_dir"] == str(head)
    assert not (head / ".received").exists()


def test_hostile_bytes_from_a_node_are_rejected_and_unknown_names_dropped(tmp_path):
    report = pack_run(_node_outcome(tmp_path / "node"), NODE)
    report.files["summary.json"] = b'{"status": "completed", "best": ['  # broken JSON
    report.files["../run.json"] = b"{}"
    report.files["run.json"] = b"{}"
    head = tmp_path / "head" / "r"
    outcome = receive(report, head, {"name": "ray"})
    assert outcome.status == "artifact_rejected" and "summary.json" in outcome.reason
    assert not (tmp_path / "head" / "run.json").exists()
    assert json.loads((head / "run.json").read_text())["status"] == "artifact_rejected"


def test_files_over_the_transfer_cap_are_not_sent_and_reject_the_run(tmp_path):
    report = pack_run(_node_outcome(tmp_path / "node"), NODE, total_cap=64)
    assert report.files == {} and "transfer cap" in report.overflow
    outcome = receive(report, tmp_path / "head", {"name": "ray"})
    assert outcome.status == "artifact_rejected" and "transfer cap" in outcome.reason


def test_a_validator_rejection_arrives_as_it_left(tmp_path):
    node = LaunchOutcome(
        "r2",
        "rejected_by_validator",
        "the validator rejected the model file",
        tmp_path,
        CONFIG,
        validator_report={"accepted": False},
    )
    outcome = receive(pack_run(node, NODE), tmp_path / "head", {"name": "ray"})
    assert outcome.status == "rejected_by_validator" and outcome.result is None
    assert json.loads((tmp_path / "head" / "validator.json").read_text()) == {"accepted": False}


def test_executor_options_are_checked():
    assert isinstance(make_executor("local"), LocalExecutor)
    with pytest.raises(BadInput, match="--executor must be one of local, ray"):
        make_executor("slurm")
    with pytest.raises(BadInput, match="--ray-address needs --executor ray"):
        make_executor("local", "127.0.0.1:6379")
    assert make_executor("ray", "127.0.0.1:6379").address == "127.0.0.1:6379"  # connects on first launch
    assert check_address(None) == "auto"
    for bad in ("http://10.0.0.1:6379", "127.0.0.1", "host:0", "host:70000", "a b:1", "ray://h:10001"):
        with pytest.raises(BadInput):
            check_address(bad)


def test_a_node_binds_to_loopback_and_advertises_docker_slots():
    head = node_command(None, cpus=2, slots=1, port=6380)
    assert "--node-ip-address=127.0.0.1" in head and "--include-dashboard=false" in head
    assert '--resources={"sentinel_docker": 1}' in head and "--head" in head and "--port=6380" in head
    worker = node_command("127.0.0.1:6380", slots=2)
    assert "--address=127.0.0.1:6380" in worker and "--head" not in worker
    with pytest.raises(BadInput):
        node_command(None, slots=-1)


class LosingLauncher(ArtifactLauncher):
    """The node of the first `lose` launches dies mid-run."""

    def __init__(self, lose: int) -> None:
        super().__init__()
        self.lose = lose

    def __call__(self, resolved, request, on_progress=None):
        if len(self.calls) < self.lose:
            self.calls.append(request)
            raise RunLost(f"the node running {request.run_id} went away mid-run (NodeDiedError)")
        return super().__call__(resolved, request, on_progress)


def test_a_lost_run_is_retried_once_and_counted_once(tmp_path):
    store = FeedbackStore(tmp_path / "f.db")
    launcher = LosingLauncher(lose=1)
    outcome = _runner(store, ListBrain([0.01, 0.02]), launcher, tmp_path).start(_goal(2), seed=1)
    assert outcome.state == "finished" and outcome.runs == 2
    runs = store.runs(outcome.campaign_id)
    assert [(r.proposal.seq, r.attempt, r.status) for r in runs] == [
        (1, 1, "lost"),
        (1, 2, "completed"),
        (2, 1, "completed"),
    ]
    assert "went away mid-run" in runs[0].reason
    assert len(launcher.calls) == 3


def test_a_run_lost_twice_is_not_retried_again(tmp_path):
    store = FeedbackStore(tmp_path / "f.db")
    outcome = _runner(store, ListBrain([0.01]), LosingLauncher(lose=2), tmp_path).start(_goal(1), seed=1)
    runs = store.runs(outcome.campaign_id)
    assert [(r.attempt, r.status) for r in runs] == [(1, "lost"), (2, "lost")]
    assert "not retried after 2 attempts" in runs[1].reason
    assert store.proposals(outcome.campaign_id)[0].state == "finished"


def test_cli_options_that_do_not_fit_exit_2_before_anything_is_written(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import sentinel.sandbox.paths as paths
    from sentinel.agent.cli.campaign import app as campaign_app
    from sentinel.agent.cli.cluster import app as cluster_app

    monkeypatch.setattr(paths, "RUNS_DIR", tmp_path / "runs")
    runner = CliRunner()
    for args in (
        ["run", "digits:quick", "--executor", "slurm"],
        ["run", "digits:quick", "--ray-address", "127.0.0.1:6379"],
        ["run", "digits:quick", "--executor", "ray", "--ray-address", "ray://10.0.0.1:10001"],
    ):
        result = runner.invoke(campaign_app, args)
        assert result.exit_code == 2, result.output
    assert not (tmp_path / "runs").exists()
    assert runner.invoke(cluster_app, ["start", "--slots", "-1"]).exit_code == 2


def test_a_node_starts_only_when_doctor_is_green(monkeypatch):
    import sentinel.agent.executors.cluster as cluster
    from sentinel.sandbox.errors import EngineUnavailable

    started: list[list[str]] = []
    monkeypatch.setattr(cluster.subprocess, "run", lambda cmd, **kw: started.append(cmd))
    monkeypatch.setattr(cluster, "doctor_green", lambda: (False, "runtime image: missing"))
    with pytest.raises(EngineUnavailable, match="doctor` is not green here \\(runtime image: missing\\)"):
        cluster.start_node(None)
    assert started == []  # no `ray start`: the node never advertises sentinel_docker


def test_a_campaigns_generated_entries_travel_to_the_node_bounded_and_inside_generated(tmp_path):
    """Tier-2/3 runs compose from the campaign's own generated folder: the node gets exactly
    those files, and refuses a path from the head that would land outside generated/."""
    from sentinel.agent.executors._base import NodeRefused
    from sentinel.agent.executors.node import _write_tree, generated_tree

    root = tmp_path / "campaign"
    (root / "generated" / "models").mkdir(parents=True)
    (root / "generated" / "models" / "m_wide.py").write_text("# model\n")
    (root / "generated" / "trainers").mkdir()
    (root / "generated" / "trainers" / "t1.yaml").write_text("lr: 0.1\n")
    (root / "generated" / "link.yaml").symlink_to(root / "generated" / "trainers" / "t1.yaml")
    tree = generated_tree(root)
    assert tree == {"generated/models/m_wide.py": b"# model\n", "generated/trainers/t1.yaml": b"lr: 0.1\n"}
    assert generated_tree(None) == {} and generated_tree(tmp_path / "none") == {}
    node = tmp_path / "node"
    _write_tree(node, tree)
    assert (node / "generated" / "trainers" / "t1.yaml").read_bytes() == b"lr: 0.1\n"
    for bad in ("../escape.yaml", "/abs.yaml", "configs/x.yaml"):
        with pytest.raises(NodeRefused):
            _write_tree(node, {bad: b"x"})
