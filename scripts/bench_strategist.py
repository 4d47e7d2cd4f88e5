"""Strategist vs plain Optuna TPE vs random search: same goals, spaces, budgets and harness.

    .venv/bin/python scripts/bench_strategist.py [--goals ppg:hr_optimize ecg:rhythm_baseline ...]
        [--budgets 12 24] [--seeds 0 1 2 3 4] [--epochs N] [--executor host|local|ray]
        [--warm-seeds 0 1 2] [--out runs-bench] [--json FILE]

Each (goal, budget, brain, seed) is a real campaign through CampaignRunner with its own store;
targets are removed, so every campaign should spend exactly its budget. The baselines are
tier-1-only Brain subclasses (`max_tier = 1`: the loop never escalates them) that see the same
store history and search space but no tiers, no drift, no failure guard and no warm start.
`--epochs N` shortens every run of every brain alike (an override appended at launch).
`--executor host` trains in a child process of this host through `_host_launch.py` (same
composer, runtime entrypoint and artifact reader, no container): for benchmarking only.

Reports per goal and budget the median best per brain, the mean rank across seeds (1 = best),
a paired sign test of the strategist against each baseline, runs completed, the per-tier
"beat the best so far" counts, the training time the monitor saved, and the host overhead per
run (campaign wall time minus its runs' training time, per run). `--warm-seeds` runs, per seed,
a second strategist campaign on the first one's store and reports the runs it needed to reach
the first campaign's best, against the runs the first one needed.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import optuna
from optuna.trial import TrialState, create_trial

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sentinel.agent.brains._base import Brain, CampaignContext, Proposal
from sentinel.agent.brains._search import CampaignView, Resolver, SearchSpace, trials
from sentinel.agent.brains._tiers import tier_report, tier_report_text
from sentinel.agent.brains.strategist import StrategistBrain
from sentinel.agent.campaign import AutoApproval, CampaignRunner
from sentinel.agent.goals import load_goal
from sentinel.agent.store import FeedbackStore
from sentinel.sandbox.paths import CONFIGS_DIR

BRAINS = ("strategist", "tpe", "random")


class PlainSearchBrain(Brain):
    """Tier 1 only: one Optuna sampler (its defaults) over the goal's search space."""

    name: ClassVar[str] = "plain"
    max_tier: ClassVar[int] = 1

    def __init__(self, sampler: str) -> None:
        self.sampler = sampler

    def propose(self, ctx: CampaignContext) -> Proposal | None:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        view = CampaignView.load(ctx.store, ctx.campaign_id, ctx.goal.metric)
        resolver = Resolver(ctx.goal.experiment, ctx.configs_dir)
        space = SearchSpace.build(ctx.goal, view, resolver, 1)
        seed = ctx.seed * 1000 + len(view.proposals)
        sampler = (
            optuna.samplers.TPESampler(seed=seed)
            if self.sampler == "tpe"
            else optuna.samplers.RandomSampler(seed=seed)
        )
        study = optuna.create_study(
            direction="minimize" if ctx.goal.metric.mode == "min" else "maximize", sampler=sampler
        )
        dists = dict(space.dims)
        for t in trials(view, space, resolver):
            study.add_trial(
                create_trial(
                    params=t.params,
                    distributions={k: dists[k] for k in t.params},
                    value=t.value if t.state == TrialState.COMPLETE else None,
                    state=t.state if t.state != TrialState.RUNNING else TrialState.FAIL,
                )
            )
        trial = study.ask(dists)
        params = {k: (float(f"{v:.3g}") if isinstance(v, float) else v) for k, v in trial.params.items()}
        return Proposal(
            tier=1, overrides=params, rationale=f"plain {self.sampler} search point {len(view.proposals) + 1}"
        )


def make_brain(label: str) -> Brain:
    return StrategistBrain() if label == "strategist" else PlainSearchBrain(label)


def make_launcher(executor: str, extra: tuple[str, ...], ray_address: str | None = None):
    """The launch seam with `extra` overrides appended to every run of every brain: `host` (a
    host subprocess, for tuning), or an executor of the product (`local`, `ray`)."""
    if executor == "host":
        from _host_launch import host_launcher

        base = host_launcher()
    else:
        from sentinel.agent.executors import make_executor

        base = make_executor("local" if executor == "sandbox" else executor, ray_address).launch

    def launch(request, on_progress=None):
        return base(replace(request, overrides=(*request.overrides, *extra)), on_progress=on_progress)

    return launch


def run_campaign(store: FeedbackStore, label: str, goal, seed: int, out: Path, launcher) -> dict:
    runner = CampaignRunner(
        store,
        make_brain(label),
        AutoApproval(),
        configs_dir=CONFIGS_DIR,
        runs_dir=out / "runs",
        launcher=launcher,
    )
    started = time.perf_counter()
    outcome = runner.start(goal, seed=seed)
    wall = time.perf_counter() - started
    runs = store.runs(outcome.campaign_id)
    train_s = sum(r.duration_s or 0.0 for r in runs)
    view = CampaignView.load(store, outcome.campaign_id, goal.metric)
    curve, best = [], None  # best so far after each ended proposal, in proposal order
    for p in view.proposals:
        value = view.value(p.id)
        if value is not None and (best is None or goal.metric.better(value, best)):
            best = value
        if p.id in view.finished:
            curve.append(best)
    return {
        "brain": label,
        "seed": seed,
        "campaign": outcome.campaign_id,
        "best": outcome.best_value,
        "runs": outcome.runs,
        "state": outcome.state,
        "reason": outcome.reason,
        "wall_s": wall,
        "host_overhead_s": (wall - train_s) / max(len(runs), 1),
        "monitor_saved_s": monitor_saved(runs),
        "rescued": sum(1 for r in runs if r.status == "completed" and r.event_count > 0),
        "tiers": tier_report_text(tier_report(store, outcome.campaign_id, goal.metric)),
        "curve": curve,
    }


def monitor_saved(runs) -> float:
    """Training time a monitor stop saved: a diverged run's time scaled to its unrun epochs."""
    saved = 0.0
    for r in runs:
        if r.status == "diverged" and r.epochs and r.duration_s:
            planned = _planned_epochs(Path(r.out_dir))
            if planned and planned > r.epochs:
                saved += r.duration_s * (planned - r.epochs) / r.epochs
    return saved


def _planned_epochs(run_dir: Path) -> int | None:
    import yaml

    try:
        config = yaml.safe_load((run_dir / "config.yaml").read_text())
        return int(config["trainer"]["epochs"])
    except (OSError, KeyError, TypeError, ValueError, AttributeError):
        return None


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact binomial p-value of wins vs losses (ties dropped)."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n)


def reached_at(curve: list, target: float, metric) -> int | None:
    """1-based run index at which the best so far first met `target` (ties count)."""
    for i, value in enumerate(curve, 1):
        if value is not None and not metric.better(target, value):
            return i
    return None


def summarise(rows: list[dict], goal, budget: int) -> list[str]:
    lines = [f"\n{goal.address}, budget {budget} ({goal.metric.name}, {goal.metric.mode})"]
    sign = 1.0 if goal.metric.mode == "min" else -1.0
    seeds = sorted({r["seed"] for r in rows})
    ranks: dict[str, list[float]] = {b: [] for b in BRAINS}
    duel = {b: [0, 0, 0] for b in BRAINS[1:]}  # wins, losses, ties of the strategist
    for seed in seeds:
        mine = {r["brain"]: r for r in rows if r["seed"] == seed}
        score = {
            b: sign * (mine[b]["best"] if mine[b]["best"] is not None else sign * math.inf) for b in BRAINS
        }
        for b in BRAINS:
            ranks[b].append(
                1
                + sum(score[o] < score[b] for o in BRAINS)
                + 0.5 * sum(score[o] == score[b] for o in BRAINS if o != b)
            )
        for b in BRAINS[1:]:
            s, o = score["strategist"], score[b]
            duel[b][0 if s < o else 1 if s > o else 2] += 1
    for b in BRAINS:
        mine = [r for r in rows if r["brain"] == b]
        bests = [r["best"] for r in mine if r["best"] is not None]
        med = f"{statistics.median(bests):.4g}" if bests else "-"
        lines.append(
            f"  {b:10s} median best {med:>8s}  mean rank {statistics.mean(ranks[b]):.2f}  "
            f"runs {[r['runs'] for r in mine]}  per seed {[round(v, 4) for v in bests]}  "
            f"host overhead/run median {statistics.median(r['host_overhead_s'] for r in mine):.2f} s  "
            f"monitor saved {sum(r['monitor_saved_s'] for r in mine):.0f} s "
            f"({sum(r['rescued'] for r in mine)} rescued)"
        )
    for b, (w, losses, t) in duel.items():
        p = sign_test(w, losses)
        lines.append(f"  strategist vs {b}: {w} wins, {losses} losses, {t} ties; sign test p={p:.3f}")
    for r in rows:
        if r["brain"] == "strategist":
            lines.append(f"  strategist seed {r['seed']} tiers: {r['tiers']}")
    return lines


def warm_start(goal, seed: int, out: Path, launcher) -> dict:
    """Two strategist campaigns on one store: the second starts from the first's trials."""
    store = FeedbackStore(out / f"warm-{goal.address.replace(':', '_')}-{goal.budget.runs}-{seed}.db")
    first = run_campaign(store, "strategist", goal, seed, out, launcher)
    second = run_campaign(store, "strategist", goal, seed + 1000, out, launcher)
    target = first["best"]
    need_first = reached_at(first["curve"], target, goal.metric) if target is not None else None
    need_second = reached_at(second["curve"], target, goal.metric) if target is not None else None
    return {
        "seed": seed,
        "first_best": target,
        "first_runs_to_best": need_first,
        "second_runs_to_reach": need_second,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--goals", nargs="+", default=["ppg:hr_optimize", "ecg:rhythm_baseline", "digits:quick"]
    )
    parser.add_argument("--budgets", nargs="+", type=int, default=[12, 24])
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--warm-seeds", nargs="*", type=int, default=[])
    parser.add_argument("--epochs", type=int, default=None, help="trainer.epochs for every run (short runs)")
    parser.add_argument("--executor", choices=("host", "local", "sandbox", "ray"), default="local")
    parser.add_argument("--ray-address", default=None, help="--executor ray: the cluster's head")
    parser.add_argument("--out", type=Path, default=Path("runs-bench"))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    extra = (f"trainer.epochs={args.epochs}",) if args.epochs else ()
    launcher = make_launcher(args.executor, extra, args.ray_address)
    args.out.mkdir(parents=True, exist_ok=True)
    report: list[str] = [
        f"executor {args.executor}, epochs {args.epochs or 'experiment default'}, seeds {args.seeds}, "
        f"budgets {args.budgets}, goals {args.goals}"
    ]
    results: dict = {
        "config": vars(args) | {"out": str(args.out), "json": str(args.json)},
        "cells": [],
        "warm": [],
    }
    for address in args.goals:
        for budget in args.budgets:
            goal = replace(load_goal(address).with_budget(budget), target=None)  # every brain spends it all
            rows = []
            for seed in args.seeds:  # interleaved by seed so machine noise hits every brain alike
                for label in BRAINS:
                    store = FeedbackStore(
                        args.out / f"{address.replace(':', '_')}-{budget}-{label}-{seed}.db"
                    )
                    row = run_campaign(store, label, goal, seed, args.out, launcher)
                    rows.append(row)
                    print(
                        f"{address} b{budget} {label:10s} seed {seed}: best {row['best']} runs {row['runs']} "
                        f"({row['state']}: {row['reason']}) wall {row['wall_s']:.0f} s",
                        flush=True,
                    )
            report.extend(summarise(rows, goal, budget) if rows else [])
            results["cells"].append({"goal": address, "budget": budget, "rows": rows})
            print("\n".join(report[-8:]), flush=True)
            for seed in args.warm_seeds:
                warm = warm_start(goal, seed, args.out, launcher) | {"goal": address, "budget": budget}
                results["warm"].append(warm)
                print(f"warm start {address} b{budget} seed {seed}: {warm}", flush=True)
    for address in args.goals:
        for budget in args.budgets:
            cell = [w for w in results["warm"] if w["goal"] == address and w["budget"] == budget]
            ratios = [
                w["second_runs_to_reach"] / w["first_runs_to_best"]
                for w in cell
                if w["second_runs_to_reach"] and w["first_runs_to_best"]
            ]
            if cell:
                shares = [(w["second_runs_to_reach"] or budget) / budget for w in cell]
                report.append(
                    f"warm start {address} b{budget}: second campaign reached the first's best in "
                    f"{[w['second_runs_to_reach'] for w in cell]} runs vs the first's "
                    f"{[w['first_runs_to_best'] for w in cell]}; median ratio "
                    f"{statistics.median(ratios) if ratios else float('nan'):.2f} (of the first's "
                    f"runs-to-best), median share of budget {statistics.median(shares):.2f}"
                )
    print("\n".join(report))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
