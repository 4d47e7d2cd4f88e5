"""Ray executor vs local, side by side in one run, on a two-node Ray cluster on this machine.

Usage: python scripts/bench_executor.py [--pairs 3] [--runs 6] [--epochs 1] [--json OUT]

Starts a local cluster (`ray.cluster_utils.Cluster`: a head and a worker node, each advertising
one CPU and one `sentinel_docker` slot, bound to 127.0.0.1, no dashboard), then measures:

1. Overhead per run: the same tiny run (digits, `--epochs`, same seed) launched alternately
   through the local executor and the Ray executor, one at a time, `--pairs` times each; the
   figure is median(ray wall time) - median(local wall time), and the median of the paired
   differences. Target <= 1.0 s.
2. Scheduling: a `--runs`-run campaign (a fixed list of learning rates, the same in both) with
   `--parallel 2`, then with `--parallel 1`, on the Ray executor. Two ratios, side by side:
   - wall ratio: wall(parallel 2) / wall(parallel 1). Target <= 0.6. Both nodes share this
     machine's cores (and other work shares them too), so two CPU-bound runs at once each take
     longer: this is a scheduling figure, not a speed-up claim, and it is only meaningful on a
     quiet machine;
   - scheduling ratio: runs in flight at parallel 1 / runs in flight at parallel 2, where runs
     in flight = the runs' time on their nodes (task start to end, wall clocks in run.json)
     over the campaign's wall. It is the wall ratio with each run's own time held equal, so
     CPU contention divides out and what is left is how well the two slots were kept busy.
   With both: the load average (1 min) at the start and end of the script and of each
   campaign, the share of the wall with both nodes busy, Ray's queue wait (submit to task
   start), the head's gap (a result received to the next submit) and each run's timeline.

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


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def timeline(records: list[dict], t0: float, wall: float) -> dict:
    """What the runs' wall clocks say about scheduling (all from run.json's `executor` object).

    - node time: the sum of the tasks' time on their nodes (image check, launch_run, packing);
    - in flight: node time over the wall, the mean number of runs being worked on;
    - both busy: the share of the wall during which every node had a run;
    - queue wait: submit (head) to task start (node), Ray's scheduling and worker start;
    - head gap: a run's result received to the next submission on the head (loop and store)."""
    spans = sorted((r["task_started_at"], r["task_ended_at"]) for r in records)
    node_time = sum(end - start for start, end in spans)
    nodes = {r["node_id"] for r in records}
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    busy, running, last = 0.0, 0, t0
    for at, step in edges:
        if running >= len(nodes) > 1:
            busy += at - last
        running, last = running + step, at
    submits = sorted(r["submitted_at"] for r in records)
    gaps = [min((s for s in submits if s >= r["received_at"]), default=None) for r in records]
    gaps = [g - r["received_at"] for g, r in zip(gaps, records, strict=True) if g is not None]
    return {
        "node_time_s": node_time,
        "in_flight": node_time / wall,
        "both_busy_share": busy / wall if len(nodes) > 1 else 0.0,
        "median_queue_wait_s": statistics.median(r["task_started_at"] - r["submitted_at"] for r in records),
        "median_head_gap_s": statistics.median(gaps) if gaps else 0.0,
        "nodes": len(nodes),
        "worker_processes": len({(r["node_id"], r["pid"]) for r in records}),
        "runs": [
            {
                "node": r["node_id"][:8],
                "pid": r["pid"],
                "submitted": round(r["submitted_at"] - t0, 2),
                "started": round(r["task_started_at"] - t0, 2),
                "ended": round(r["task_ended_at"] - t0, 2),
                "received": round(r["received_at"] - t0, 2),
            }
            for r in sorted(records, key=lambda r: r["submitted_at"])
        ],
    }


def campaign_wall(address: str, runs: int, epochs: int, parallel: int, work: Path) -> dict:
    """One campaign of `runs` fixed proposals at `parallel`: its wall, load and timeline."""
    from sentinel.agent.campaign import AutoApproval, CampaignRunner
    from sentinel.agent.executors.ray_cluster import RayExecutor
    from sentinel.agent.goals import load_goal
    from sentinel.agent.store import FeedbackStore
    from sentinel.sandbox.paths import CONFIGS_DIR

    goal_file = work / f"benchray-{parallel}" / "benchray.yaml"
    goal_file.parent.mkdir(parents=True)
    goal_file.write_text(GOAL)
    store = FeedbackStore(goal_file.parent / "feedback.db")
    load_start = _load()
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
        t0, start = time.time(), time.perf_counter()
        outcome = runner.start(load_goal(str(goal_file), CONFIGS_DIR.parent / "campaigns"), seed=0)
        wall = time.perf_counter() - start
    completed = store.runs(outcome.campaign_id, statuses=("completed",))
    if len(completed) != runs:
        raise SystemExit(
            f"--parallel {parallel}: {len(completed)} of {runs} runs completed ({outcome.reason})"
        )
    full = [json.loads((Path(r.out_dir) / "run.json").read_text()) for r in completed]
    records = [record["executor"] for record in full]
    figures = {
        "wall_s": wall,
        "load_start": load_start,
        "load_end": _load(),
        **timeline(records, t0, wall),
        "phases": phases(full),
    }
    print(
        f"  --parallel {parallel}: {wall:.1f} s, {figures['in_flight']:.2f} runs in flight on average, "
        f"both nodes busy {100 * figures['both_busy_share']:.0f}% of the wall, {figures['nodes']} node(s), "
        f"{figures['worker_processes']} Ray worker process(es); median queue wait "
        f"{figures['median_queue_wait_s']:.2f} s, head gap {figures['median_head_gap_s']:.2f} s; "
        f"load {load_start:.1f} -> {figures['load_end']:.1f}",
        file=sys.stderr,
    )
    shown = ", ".join(f"{k} {v:.2f} s" for k, v in figures["phases"].items())
    print(f"    medians per run: {shown}", file=sys.stderr)
    for run in figures["runs"]:
        print(f"    {run}", file=sys.stderr)
    return figures


def phases(full: list[dict]) -> dict[str, float]:
    """Median seconds of each step of a run on its node (run.json): if one step waited for the
    other run (a lock, a shared engine call), it would grow more than the others at parallel 2."""
    steps: dict[str, list[float]] = {"task": [], "image_build": [], "training": [], "evaluation": []}
    for record in full:
        executor = record["executor"]
        steps["task"].append(executor["task_ended_at"] - executor["task_started_at"])
        steps["image_build"].append(record.get("image_build_s") or 0.0)
        steps["training"].append(record.get("seconds") or 0.0)
        steps["evaluation"].append(((record.get("trusted") or {}).get("seconds")) or 0.0)
    medians = {k: statistics.median(v) for k, v in steps.items()}
    medians["rest"] = medians["task"] - medians["image_build"] - medians["training"] - medians["evaluation"]
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="0 skips the overhead measurement")
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
    load_at_start = _load()
    print(f"load average (1 min) at the start: {load_at_start:.1f} on {os.cpu_count()} CPUs", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bench-executor-") as tmp:
        work = Path(tmp)
        os.environ["SENTINEL_NODE_DIR"] = str(work / "node")  # the nodes' workers inherit it
        head = {**NODE, "include_dashboard": False, "object_store_memory": NODE_STORE}
        cluster = Cluster(initialize_head=True, connect=False, head_node_args=head)
        try:
            cluster.add_node(**NODE, object_store_memory=NODE_STORE)
            cluster.wait_for_nodes()
            over = None
            if args.pairs > 0:
                print("overhead per run (one run in flight):", file=sys.stderr)
                over = overhead(cluster.address, args.pairs, args.epochs, work, tag)
                print(
                    f"  ray - local (medians): {over['overhead_s']:+.2f} s; paired median "
                    f"{over['median_paired_overhead_s']:+.2f} s; added around launch_run on the node "
                    f"(median): {over['median_ray_added_s']:.2f} s",
                    file=sys.stderr,
                )
            print(f"{args.runs}-run campaign on the Ray executor:", file=sys.stderr)
            two = campaign_wall(cluster.address, args.runs, args.epochs, 2, work)
            one = campaign_wall(cluster.address, args.runs, args.epochs, 1, work)
        finally:
            cluster.shutdown()
            reap_orphans(Engine())
    ratio = two["wall_s"] / one["wall_s"]
    # The wall ratio if each run took as long at --parallel 2 as at --parallel 1: the share of
    # the ratio that scheduling explains, with the CPU contention of two runs on a shared
    # machine divided out (node time per run grows with load; this does not).
    scheduling = one["in_flight"] / two["in_flight"]
    figures = {
        **(over or {}),
        "campaign_runs": args.runs,
        "parallel_1": {k: v for k, v in one.items()},
        "parallel_2": {k: v for k, v in two.items()},
        "wall_parallel_1_s": one["wall_s"],
        "wall_parallel_2_s": two["wall_s"],
        "ratio_parallel_2_over_1": ratio,
        "scheduling_ratio_parallel_2_over_1": scheduling,
        "load_average_1min_start": load_at_start,
        "load_average_1min_end": _load(),
        "cpus": os.cpu_count(),
    }
    if over is not None:
        print(f"overhead per run, ray - local (median): {over['overhead_s']:+.2f} s  (target <= 1.0 s)")
        paired, local = over["median_paired_overhead_s"], over["median_local_s"]
        print(f"  paired median: {paired:+.2f} s; local {local:.2f} s")
        print(f"  added around launch_run on the node (median): {over['median_ray_added_s']:.2f} s")
    print(
        f"campaign wall, --parallel 2 / 1: {two['wall_s']:.1f} / {one['wall_s']:.1f} s = {ratio:.2f}"
        "  (target <= 0.6)"
    )
    print(
        f"scheduling ratio (runs in flight, 1 / 2): {one['in_flight']:.2f} / {two['in_flight']:.2f}"
        f" = {scheduling:.2f}  (the wall ratio with each run's own time held equal)"
    )
    print(
        f"node time per run, --parallel 2 / 1: {two['node_time_s'] / args.runs:.1f} / "
        f"{one['node_time_s'] / args.runs:.1f} s (grows with CPU contention)"
    )
    print(
        f"load average (1 min): {load_at_start:.1f} at the start, "
        f"{two['load_start']:.1f} -> {two['load_end']:.1f} during --parallel 2, "
        f"{one['load_start']:.1f} -> {one['load_end']:.1f} during --parallel 1, "
        f"{figures['load_average_1min_end']:.1f} at the end, on {os.cpu_count()} CPUs"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
