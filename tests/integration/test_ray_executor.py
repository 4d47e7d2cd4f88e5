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


def test_a_run_on_the_worker_node_streams_its_progress_to_the_head_while_it_runs(
    cluster, engine, runtime_image, data_dir, tmp_path
):
    """Two runs at once (one per node): the worker node's run calls `on_progress` on the head,
    from the launching thread, with metrics lines that arrive while its container still runs."""
    import secrets

    from sentinel.agent.executors.ray_cluster import RayExecutor
    from sentinel.agent.launch import LaunchRequest, resolve_request
    from sentinel.sandbox.artifacts import MetricsTail, read_artifacts
    from sentinel.sandbox.engine import RUN_LABEL

    made, worker = cluster
    campaign = "raytest-progress"
    calls: dict[str, list[tuple[int, list]]] = {}
    live_while_running: set[str] = set()

    def follower(run_id: str):
        tails: dict[Path, MetricsTail] = {}

        def on_progress(folder: Path, config: dict) -> None:
            assert folder.name == ".live" and folder.parent.name == run_id
            tail = tails.setdefault(folder, MetricsTail(folder))
            records = list(tail.poll())
            calls.setdefault(run_id, []).append((threading.get_ident(), records))
            if records and run_id not in live_while_running:
                for container_id in engine.containers_with_label(f"{RUN_LABEL}={run_id}"):
                    labels = engine.container_labels(container_id) or {}
                    if "io.sentinel.stage" not in labels and engine.state(container_id).running:
                        live_while_running.add(run_id)  # the training container is still running

        return on_progress

    outcomes: dict[str, tuple[int, object]] = {}

    def launch(executor: RayExecutor, index: int) -> None:
        run_id = f"{campaign}-{index}-{secrets.token_hex(3)}"
        request = LaunchRequest(
            experiment="digits",
            overrides=("trainer.epochs=4", "trainer.batch_size=4"),  # many steps: lines arrive mid-run
            timeout_s=300,
            memory="1g",
            out_dir=tmp_path / run_id,
            campaign=campaign,
            run_id=run_id,
            runtime_image=runtime_image,
        )
        outcomes[run_id] = (
            threading.get_ident(),
            executor.launch(resolve_request(request), request, follower(run_id)),
        )

    with RayExecutor(made.address) as executor:
        threads = [threading.Thread(target=launch, args=(executor, i)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=900)
    assert len(outcomes) == 2, "a launch did not return"
    on_worker = []
    for run_id, (thread_id, outcome) in outcomes.items():
        assert outcome.status == "completed", outcome.reason
        record = json.loads((outcome.out_dir / "run.json").read_text())
        if record["executor"]["node_id"] == worker.node_id:
            on_worker.append(run_id)
        assert not (outcome.out_dir / ".live").exists(), "the mirror outlived its run"
        assert {ident for ident, _ in calls[run_id]} == {thread_id}, "called from the launching thread"
        streamed = [(r.step, r.epoch, r.split) for _, records in calls[run_id] for r in records]
        final = [(r.step, r.epoch, r.split) for r in read_artifacts(outcome.out_dir / "artifacts").metrics]
        assert streamed and streamed == final[: len(streamed)], "what streamed is the run's own lines"
        assert any(split == "val" for _, _, split in streamed)
    assert len(on_worker) == 1, "one run must have run on the worker node"
    assert on_worker[0] in live_while_running, "progress of the worker's run arrived before it ended"
    _assert_nothing_left(engine, campaign)


@pytest.fixture
def process_cluster(tmp_path_factory, monkeypatch):
    """A head (in this process) and a worker node that is its own process tree (`ray start
    --block` in a new session, its own temp dir), as a second machine's node would be."""
    import shutil
    import tempfile

    from _ray_nodes import start_process_node, stop_like_ray_stop, wait_for_live_nodes
    from ray.cluster_utils import Cluster

    from sentinel.sandbox.engine import Engine
    from sentinel.sandbox.run import reap_orphans

    node_dir = tmp_path_factory.mktemp("node")
    monkeypatch.setenv("SENTINEL_NODE_DIR", str(node_dir))
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    temp_dir = Path(tempfile.mkdtemp(prefix="rw", dir="/tmp"))  # short: Ray's socket paths are capped
    made = Cluster(
        initialize_head=True, connect=False, head_node_args={**NODE_ARGS, "include_dashboard": False}
    )
    node = None
    try:
        node = start_process_node(made.address, temp_dir, tmp_path_factory.mktemp("log") / "node.log")
        live = wait_for_live_nodes(made, 2)
        yield made, node, next(n for n in live if n != made.head_node.node_id), node_dir
    finally:
        if node is not None and node.poll() is None:
            stop_like_ray_stop(node, grace_s=3.0)
        made.shutdown()
        reap_orphans(Engine())
        shutil.rmtree(temp_dir, ignore_errors=True)


def _owners(engine, pids) -> dict[int, str]:
    """Owner pid -> run id of the run containers owned by one of `pids`."""
    from sentinel.sandbox.engine import RUN_LABEL
    from sentinel.sandbox.run import OWNER_LABEL

    owners = {}
    for container_id in engine.containers_with_label(RUN_LABEL):
        labels = engine.container_labels(container_id) or {}
        if labels.get(OWNER_LABEL, "").isdigit() and int(labels[OWNER_LABEL]) in pids:
            owners[int(labels[OWNER_LABEL])] = labels[RUN_LABEL]
    return owners


def _janitors_of(workers: set[int]) -> list[int]:
    """Pids of the janitor processes watching one of `workers` (their command line names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        named = len(args) > 3 and args[2] == b"sentinel.agent.executors._janitor" and args[3].isdigit()
        if named and int(args[3]) in workers:
            found.append(int(entry.name))
    return found


def _runs_owned_by(engine, pids) -> set[str]:
    """Run ids of the training containers whose owner (the Ray worker that launched them) is one
    of `pids`."""
    from sentinel.sandbox.engine import RUN_LABEL
    from sentinel.sandbox.run import OWNER_LABEL

    owned = set()
    for container_id in engine.containers_with_label(RUN_LABEL):
        labels = engine.container_labels(container_id) or {}
        if labels.get(OWNER_LABEL, "").isdigit() and int(labels[OWNER_LABEL]) in pids:
            owned.add(labels[RUN_LABEL])
    return owned


def test_a_worker_node_stopped_like_ray_stop_mid_run_is_lost_retried_and_leaves_nothing(
    process_cluster, engine, runtime_image, data_dir, tmp_path
):
    from _ray_nodes import node_processes, stop_like_ray_stop

    from sentinel.sandbox.run import _owner_file

    made, node, worker_id, node_dir = process_cluster
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
    owners = _owners(engine, set(node_processes(node)))
    (stopped_run,) = set(owners.values())  # the run on the worker node
    janitors = _janitors_of(set(owners))
    assert janitors, "the worker that runs it has a janitor outside Ray's process tree"
    ended = stop_like_ray_stop(node)
    left_at_stop = _runs_owned_by(engine, set(ended["sigterm"] + ended["sigkill"]))
    print(
        f"node stopped: {len(ended['sigterm'])} on SIGTERM, {len(ended['sigkill'])} on SIGKILL; "
        f"containers of the stopped run left when its node was gone: {sorted(left_at_stop)}"
    )
    deadline = time.monotonic() + 120
    while any(Path(f"/proc/{pid}").exists() for pid in janitors) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not any(Path(f"/proc/{pid}").exists() for pid in janitors), "the janitor did not finish"
    assert not _runs_owned_by(engine, set(owners)), "the janitor left the stopped run's containers"
    driver.join(timeout=1200)
    assert result, "the campaign did not finish"
    assert result["state"] == "finished" and result["runs"] == 2
    store = _store(runs)
    campaign_id = result["campaign_id"]
    every = store.runs(campaign_id)
    lost = [r for r in every if r.status == "lost"]
    completed = [r for r in every if r.status == "completed"]
    assert [r.run_id for r in lost] == [stopped_run] and lost[0].attempt == 1
    assert len(completed) == 2 and len({r.proposal.id for r in completed}) == 2, "completed exactly once"
    retry = next(r for r in completed if r.proposal.id == lost[0].proposal.id)
    assert retry.attempt == 2
    record = json.loads((Path(retry.out_dir) / "run.json").read_text())
    assert record["executor"]["node_id"] == made.head_node.node_id != worker_id  # the live node
    _assert_nothing_left(engine, campaign_id)
    assert not _owner_file(stopped_run).exists(), "the stopped run's volume owner file is left"
    assert not list(node_dir.glob(f"{stopped_run}-*")), "the stopped run's node folder is left"


def test_an_on_progress_that_raises_cancels_the_run_and_its_node_cleans_up(
    cluster, engine, runtime_image, data_dir, tmp_path
):
    """The caller's view failing ends the run as it does locally: the error reaches the caller,
    the task is cancelled, and the node's own cleanup (not the reaper: its worker is alive)
    removes the container, the image and the volume."""
    from sentinel.agent.executors.ray_cluster import RayExecutor
    from sentinel.agent.launch import LaunchRequest, resolve_request
    from sentinel.sandbox.engine import RUN_LABEL
    from sentinel.sandbox.images import RUN_REPO
    from sentinel.sandbox.volume import leftover_volumes

    made, _ = cluster
    run_id = "raytest-cancel-0"

    def broken_view(folder: Path, config: dict) -> None:
        raise RuntimeError("the live view broke")

    request = LaunchRequest(
        experiment="digits",
        overrides=("trainer.epochs=20",),
        timeout_s=300,
        memory="1g",
        out_dir=tmp_path / run_id,
        campaign="raytest-cancel",
        run_id=run_id,
        runtime_image=runtime_image,
    )
    with RayExecutor(made.address) as executor, pytest.raises(RuntimeError, match="live view broke"):
        executor.launch(resolve_request(request), request, broken_view)

    def left() -> list[str]:
        return (
            list(engine.containers_with_label(f"{RUN_LABEL}={run_id}"))
            + [t for t in engine.image_tags(RUN_REPO) if run_id in t]
            + [v for v in leftover_volumes() if v.startswith(run_id)]
        )

    deadline = time.monotonic() + 120
    while left() and time.monotonic() < deadline:
        time.sleep(1.0)
    assert not left(), f"the cancelled run left {left()}"
