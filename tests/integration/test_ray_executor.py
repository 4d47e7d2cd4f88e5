"""`--executor ray` on a real two-node Ray cluster on this machine, every run in a real container.

The cluster (`ray.cluster_utils.Cluster`: a head and a worker, each its own raylet, object store
and temp dir, bound to 127.0.0.1, no dashboard) advertises one `sentinel_docker` slot and one
CPU per node. The first test drives a 4-run campaign through the CLI with `--parallel 2` and
checks that both nodes ran runs, that the local executor gives the same numbers for the same
configs, and that nothing is left behind. The second kills the worker node while its run is in
flight and checks that the run is `lost` and completed once on the head node.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from _support import SENTINEL

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ray = pytest.importorskip("ray")

GOAL = """\
name: raytest
experiment: digits
metric: {name: val/acc, mode: max}
budget: {runs: %d, wall_minutes: 30}
search_space:
  trainer.lr: {low: 1.0e-3, high: 3.0e-2, log: true}
  trainer.epochs: [2, 3]
max_tier: 1
sandbox: {isolation: runc, timeout_s: 300, cpus: 1.0, memory: 1g}
"""
NODE_ARGS = {
    "num_cpus": 1,
    "resources": {"sentinel_docker": 1},
    "node_ip_address": "127.0.0.1",
    "object_store_memory": 100 * 1024 * 1024,
}


@pytest.fixture
def cluster(tmp_path_factory, monkeypatch):
    """A head and a worker node; shut down (and what their runs left reaped) whatever happens."""
    from ray.cluster_utils import Cluster

    from sentinel.sandbox.engine import Engine
    from sentinel.sandbox.run import reap_orphans

    monkeypatch.setenv("SENTINEL_NODE_DIR", str(tmp_path_factory.mktemp("node")))
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    made = Cluster(
        initialize_head=True, connect=False, head_node_args={**NODE_ARGS, "include_dashboard": False}
    )
    try:
        worker = made.add_node(**NODE_ARGS)
        made.wait_for_nodes()
        yield made, worker
    finally:
        made.shutdown()
        reap_orphans(Engine())


def _goal(tmp_path: Path, runs: int) -> Path:
    path = tmp_path / "raytest.yaml"
    path.write_text(GOAL % runs)
    return path


def _store(runs: Path):
    from sentinel.agent.store import FeedbackStore

    return FeedbackStore(runs / "feedback.db")


def _assert_nothing_left(engine, campaign_id: str) -> None:
    from sentinel.sandbox.engine import RUN_LABEL
    from sentinel.sandbox.images import RUN_REPO
    from sentinel.sandbox.volume import leftover_volumes

    for container_id in engine.containers_with_label(RUN_LABEL):
        labels = engine.container_labels(container_id) or {}
        assert labels.get("io.sentinel.campaign") != campaign_id, "a container of the campaign is left"
    assert not [t for t in engine.image_tags(RUN_REPO) if campaign_id in t], "a run image is left"
    assert not [v for v in leftover_volumes() if v.startswith(campaign_id)], "a volume is left"
    mounts = Path("/proc/mounts").read_text()
    assert campaign_id not in mounts, "an artifact volume is still mounted"


def _campaign(runs: Path, goal: Path, *extra: str) -> dict:
    proc = subprocess.run(
        [*SENTINEL, "campaign", "run", str(goal), "--json", *extra],
        capture_output=True,
        text=True,
        timeout=1500,
        env={**os.environ, "SENTINEL_RUNS": str(runs)},
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("{"), (proc.stdout[:2000], proc.stderr[-3000:])
    return json.loads(proc.stdout)


def _metrics(run) -> tuple[dict, dict]:
    record = json.loads((Path(run.out_dir) / "run.json").read_text())
    return record["trusted"]["values"], record["best"]


def test_a_campaign_spreads_over_two_nodes_with_local_results(
    cluster, engine, runtime_image, data_dir, tmp_path
):
    from sentinel.agent.executors import LocalExecutor
    from sentinel.agent.launch import LaunchRequest, resolve_request

    made, worker = cluster
    runs = tmp_path / "runs"
    outcome = _campaign(
        runs, _goal(tmp_path, 4), "--executor", "ray", "--ray-address", made.address, "--parallel", "2"
    )
    assert outcome["state"] == "finished" and outcome["runs"] == 4
    store = _store(runs)
    campaign_id = outcome["campaign_id"]
    completed = store.runs(campaign_id, statuses=("completed",))
    assert len(completed) == 4 and len({r.proposal.id for r in completed}) == 4
    nodes = set()
    for run in completed:
        record = json.loads((Path(run.out_dir) / "run.json").read_text())
        assert record["executor"]["name"] == "ray" and record["isolation"] == "runc"
        assert record["runtime_image"] == runtime_image  # the head's content hash on every node
        assert (Path(run.out_dir) / "artifacts" / "summary.json").is_file()
        assert run.metric("val/acc") is not None  # ranked by the trusted score
        nodes.add(record["executor"]["node_id"])
    assert nodes == {made.head_node.node_id, worker.node_id}, "both nodes must have run runs"
    _assert_nothing_left(engine, campaign_id)

    # The local executor, same configs and seeds: the same trusted and claimed numbers.
    for run in completed[:2]:
        request = LaunchRequest(
            experiment=run.proposal.experiment,
            overrides=run.proposal.override_args(),
            timeout_s=300,
            memory="1g",
            out_dir=tmp_path / "local" / run.run_id,
            campaign="raytest-local",
        )
        local = LocalExecutor().launch(resolve_request(request), request)
        assert local.status == "completed"
        local_trusted = {k: v for k, v in local.result.trusted.values.items()}
        ray_trusted, ray_best = _metrics(run)
        assert local_trusted == ray_trusted
        local_best = json.loads((local.out_dir / "run.json").read_text())["best"]
        assert local_best == ray_best


def _two_runs_in_containers(engine, runs: Path) -> bool:
    from sentinel.sandbox.engine import RUN_LABEL

    if not (runs / "feedback.db").exists():
        return False
    campaigns = _store(runs).list_campaigns()
    if not campaigns:
        return False
    ids = set()
    for container_id in engine.containers_with_label(RUN_LABEL):
        labels = engine.container_labels(container_id) or {}
        if labels.get("io.sentinel.campaign") == campaigns[0].id:
            ids.add(labels.get(RUN_LABEL))
    return len(ids) >= 2


def test_a_run_on_a_node_that_dies_is_lost_then_completed_once_elsewhere(
    cluster, engine, runtime_image, data_dir, tmp_path
):
    made, worker = cluster
    runs = tmp_path / "runs"
    result: dict = {}
    args = ("--executor", "ray", "--ray-address", made.address, "--parallel", "2")
    driver = threading.Thread(target=lambda: result.update(_campaign(runs, _goal(tmp_path, 2), *args)))
    driver.start()
    deadline = time.monotonic() + 600
    while not _two_runs_in_containers(engine, runs):
        assert time.monotonic() < deadline and driver.is_alive(), "the runs never started on both nodes"
        time.sleep(0.5)
    time.sleep(2.0)
    made.remove_node(worker, allow_graceful=False)  # the worker's raylet and its workers die
    driver.join(timeout=1200)
    assert result, "the campaign did not finish"
    assert result["state"] == "finished" and result["runs"] == 2
    store = _store(runs)
    campaign_id = result["campaign_id"]
    every = store.runs(campaign_id)
    lost = [r for r in every if r.status == "lost"]
    completed = [r for r in every if r.status == "completed"]
    assert len(lost) == 1 and lost[0].attempt == 1
    assert len(completed) == 2 and len({r.proposal.id for r in completed}) == 2, "never duplicated"
    retry = next(r for r in completed if r.proposal.id == lost[0].proposal.id)
    assert retry.attempt == 2
    record = json.loads((Path(retry.out_dir) / "run.json").read_text())
    assert record["executor"]["node_id"] == made.head_node.node_id  # elsewhere: the live node
    _assert_nothing_left(engine, campaign_id)


def test_monitor_bench_runs_its_twins_on_the_cluster(cluster, engine, runtime_image, data_dir, tmp_path):
    import yaml
    from _support import CI_BENCH_CONDITIONS, run_sentinel

    made, _ = cluster
    suite = tmp_path / "suite.yaml"
    suite.write_text(yaml.safe_dump({"name": "ci_ray", "conditions": CI_BENCH_CONDITIONS}))
    out = tmp_path / "out"
    args = ["--suite", str(suite), "--out", str(out), "--data-dir", str(data_dir), "--jobs", "2", "--json"]
    proc = run_sentinel(
        "monitor", "bench", *args, "--executor", "ray", "--ray-address", made.address, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["pairs"] == 2
    records = [json.loads(p.read_text()) for p in (out / "runs").glob("*/*/run.json")]
    assert len(records) == 4
    assert all(r["status"] == "completed" and r["executor"]["name"] == "ray" for r in records)
    assert all(
        (p.parent / "artifacts" / "metrics.jsonl").is_file() for p in (out / "runs").glob("*/*/run.json")
    )


def test_a_head_killed_with_9_resumes_on_the_cluster(cluster, engine, runtime_image, data_dir, tmp_path):
    import signal

    made, _ = cluster
    runs = tmp_path / "runs"
    args = ["--executor", "ray", "--ray-address", made.address, "--parallel", "2"]
    head = subprocess.Popen(
        [*SENTINEL, "campaign", "run", str(_goal(tmp_path, 3)), "--json", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "SENTINEL_RUNS": str(runs)},
    )
    try:
        deadline = time.monotonic() + 600
        while not _two_runs_in_containers(engine, runs):
            assert time.monotonic() < deadline and head.poll() is None, "the runs never started"
            time.sleep(0.5)
    finally:
        head.send_signal(signal.SIGKILL)
        head.wait(timeout=60)
    campaign_id = _store(runs).list_campaigns()[0].id
    resumed = subprocess.run(
        [*SENTINEL, "campaign", "resume", campaign_id, "--json", *args],
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "SENTINEL_RUNS": str(runs)},
        check=False,
    )
    assert resumed.returncode == 0 and resumed.stdout.startswith("{"), resumed.stderr[-3000:]
    outcome = json.loads(resumed.stdout)
    assert outcome["state"] == "finished" and outcome["runs"] == 3
    completed = _store(runs).runs(campaign_id, statuses=("completed",))
    assert len(completed) == 3 and len({r.proposal.id for r in completed}) == 3, "nothing ran twice"
    _assert_nothing_left(engine, campaign_id)
