"""Ray executor vs local, side by side in one run, on a two-node Ray cluster on this machine.

Usage: python scripts/bench_executor.py [--pairs 3] [--runs 6] [--epochs 1] [--json OUT]

Starts a local cluster (`ray.cluster_utils.Cluster`: a head and a worker node, each advertising
one CPU and one `sentinel_docker` slot, bound to 127.0.0.1, no dashboard), then measures:

1. Overhead per run: the same tiny run (digits, `--epochs`, same seed) launched alternately
   through the local executor and the Ray executor, one at a time, `--pairs` times each; the
   figure is median(ray wall time) - median(local wall time), and the median of the paired
   differences. Target <= 1.0 s.
2. Scheduling: a `--runs`-run campaign (strategist brain, seed 0) with `--parallel 2` and with
   `--parallel 1` on the Ray executor; the figure is wall(parallel 2) / wall(parallel 1).
   Target <= 0.6. Both nodes are on the same two-core machine, which other work shares: this
   is a scheduling figure (two runs really in flight on two nodes), not a speed-up claim. It
   also prints the mean number of runs in flight (the runs' own durations over the wall time),
   which a loaded machine distorts less, and the load average.

No timed assertion exists in the tests; this prints figures (and writes them with --json).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

GOAL = """\
name: benchray
experiment: digits
metric: {name: val/acc, mode: max}
budget: {runs: 60, wall_minutes: 60}
search_space:
  trainer.lr: {low: 1.0e-3, high: 3.0e-2, log: true}
  model: [mlp, cnn1d]
max_tier: 1
sandbox: {isolation: runc, timeout_s: 600, cpus: 1.0, memory: 1g}
"""
NODE = {"num_cpus": 1, "resources": {"sentinel_docker": 1}, "node_ip_address": "127.0.0.1"}
NODE_STORE = 100 * 1024 * 1024


def _request(out: Path, epochs: int, tag: str):
    from sentinel.agent.launch import LaunchRequest

    return LaunchRequest(
        experiment="digits",
        overrides=(f"trainer.epochs={epochs}",),
        timeout_s=600,
        memory="1g",
        out_dir=out,
        campaign="bench-executor",
        runtime_image=tag,
    )


def overhead(address: str, pairs: int, epochs: int, work: Path, tag: str) -> dict:
    from sentinel.agent.executors import LocalExecutor
    from sentinel.agent.executors.ray_cluster import RayExecutor
    from sentinel.agent.launch import resolve_request

    local, remote = LocalExecutor(), RayExecutor(address)
    remote.connect()
    times: dict[str, list[float]] = {"local": [], "ray": [], "ray_added": []}
    for i in range(pairs):
        for name, executor in (("local", local), ("ray", remote)):
            start = time.perf_counter()
            request = _request(work / f"{name}-{i}", epochs, tag)
            outcome = executor.launch(resolve_request(request), request)
            times[name].append(time.perf_counter() - start)
            if outcome.status != "completed":
                raise SystemExit(f"{name} run {i} ended {outcome.status}: {outcome.reason}")
            if name == "ray":
                record = json.loads((outcome.out_dir / "run.json").read_text())
                times["ray_added"].append(record["executor"]["overhead_s"])
            print(f"  pair {i} {name}: {times[name][-1]:.2f} s", file=sys.stderr)
    remote.close()
    diffs = [r - lo for lo, r in zip(times["local"], times["ray"], strict=True)]
    return {
        "local_s": times["local"],
        "ray_s": times["ray"],
        "median_local_s": statistics.median(times["local"]),
        "median_ray_s": statistics.median(times["ray"]),
        "overhead_s": statistics.median(times["ray"]) - statistics.median(times["local"]),
        "median_paired_overhead_s": statistics.median(diffs),
        "ray_added_s": times["ray_added"],  # head's round trip minus launch_run's time on the node
        "median_ray_added_s": statistics.median(times["ray_added"]),
    }


def _fixed_brain(runs: int, epochs: int):
    """The same `runs` proposals (learning rates) in both campaigns, then nothing (the campaign
    ends), so the two walls compare the same work; the strategist would stop a --parallel 1
    campaign early on stagnation (the goal's run budget is large so the drift rules never stop
    either campaign first)."""
    from sentinel.agent.brains._base import Brain, Proposal

    class FixedBrain(Brain):
        name = "fixed-list"

        def propose(self, ctx):
            done = len(ctx.store.proposals(ctx.campaign_id))
            if done >= runs:
                return None
            lr = 1.0e-3 * (30 ** (done / max(1, runs - 1)))
            overrides = {"trainer.lr": round(lr, 6), "trainer.epochs": epochs}
            return Proposal(tier=1, overrides=overrides, rationale=f"lr number {done}")

    return FixedBrain()


def campaign_wall(address: str, runs: int, epochs: int, parallel: int, work: Path) -> tuple[float, float]:
    """(wall seconds, mean runs in flight): the second is the sum of the runs' own durations over
    the wall time, a scheduling figure that a loaded machine slows less than the wall."""
    from sentinel.agent.campaign import AutoApproval, CampaignRunner
    from sentinel.agent.executors.ray_cluster import RayExecutor
    from sentinel.agent.goals import load_goal
    from sentinel.agent.store import FeedbackStore
    from sentinel.sandbox.paths import CONFIGS_DIR

    goal_file = work / f"benchray-{parallel}" / "benchray.yaml"
    goal_file.parent.mkdir(parents=True)
    goal_file.write_text(GOAL)
    store = FeedbackStore(goal_file.parent / "feedback.db")
    with RayExecutor(address) as executor:
        executor.connect()
        runner = CampaignRunner(
            store,
            _fixed_brain(runs, epochs),
            AutoApproval(),
            configs_dir=CONFIGS_DIR,
            runs_dir=goal_file.parent / "runs",
            parallel=parallel,
            launcher=executor.launch,
        )
        start = time.perf_counter()
        outcome = runner.start(load_goal(str(goal_file), CONFIGS_DIR.parent / "campaigns"), seed=0)
        wall = time.perf_counter() - start
    completed = store.runs(outcome.campaign_id, statuses=("completed",))
    if len(completed) != runs:
        raise SystemExit(
            f"--parallel {parallel}: {len(completed)} of {runs} runs completed ({outcome.reason})"
        )
    nodes = {json.loads((Path(r.out_dir) / "run.json").read_text())["executor"]["node_id"] for r in completed}
    in_flight = sum(r.duration_s or 0.0 for r in completed) / wall
    print(
        f"  --parallel {parallel}: {wall:.1f} s, {in_flight:.2f} runs in flight on average, "
        f"{len(nodes)} node(s) ran runs",
        file=sys.stderr,
    )
    return wall, in_flight


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    from ray.cluster_utils import Cluster

    from sentinel.sandbox.engine import Engine
    from sentinel.sandbox.images import ensure_runtime_image
    from sentinel.sandbox.run import reap_orphans

    tag = ensure_runtime_image(Engine()).tag
    with tempfile.TemporaryDirectory(prefix="bench-executor-") as tmp:
        work = Path(tmp)
        os.environ["SENTINEL_NODE_DIR"] = str(work / "node")  # the nodes' workers inherit it
        head = {**NODE, "include_dashboard": False, "object_store_memory": NODE_STORE}
        cluster = Cluster(initialize_head=True, connect=False, head_node_args=head)
        try:
            cluster.add_node(**NODE, object_store_memory=NODE_STORE)
            cluster.wait_for_nodes()
            print("overhead per run (one run in flight):", file=sys.stderr)
            over = overhead(cluster.address, args.pairs, args.epochs, work, tag)
            print(
                f"  ray - local (medians): {over['overhead_s']:+.2f} s; paired median "
                f"{over['median_paired_overhead_s']:+.2f} s; added around launch_run on the node "
                f"(median): {over['median_ray_added_s']:.2f} s",
                file=sys.stderr,
            )
            print(f"{args.runs}-run campaign on the Ray executor:", file=sys.stderr)
            (two, two_flight) = campaign_wall(cluster.address, args.runs, args.epochs, 2, work)
            (one, one_flight) = campaign_wall(cluster.address, args.runs, args.epochs, 1, work)
        finally:
            cluster.shutdown()
            reap_orphans(Engine())
    figures = {
        **over,
        "campaign_runs": args.runs,
        "wall_parallel_1_s": one,
        "wall_parallel_2_s": two,
        "ratio_parallel_2_over_1": two / one,
        "in_flight_parallel_1": one_flight,
        "in_flight_parallel_2": two_flight,
        "load_average_1min": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }
    print(f"overhead per run, ray - local (median): {over['overhead_s']:+.2f} s  (target <= 1.0 s)")
    print(f"  paired median: {over['median_paired_overhead_s']:+.2f} s; local {over['median_local_s']:.2f} s")
    print(f"  added around launch_run on the node (median): {over['median_ray_added_s']:.2f} s")
    print(f"campaign wall, --parallel 2 / 1: {two:.1f} / {one:.1f} s = {two / one:.2f}  (target <= 0.6)")
    print(f"runs in flight on average, --parallel 2 / 1: {two_flight:.2f} / {one_flight:.2f}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
