"""Strategist vs plain Optuna TPE vs random search: same goal, space, budget and harness.

    .venv/bin/python scripts/bench_strategist.py [--goal ppg:hr_optimize] [--runs 12] [--seeds 3]
                                                 [--parallel 1] [--out runs-bench]

Each (brain, seed) is a real campaign through CampaignRunner and the hardened sandbox; the
baselines are Brain subclasses that see the same store history and the goal's search space but
no tiers, no drift and no failure guard. Reports the best metric per campaign, the median per
brain, the training time the monitor saved (stopped runs vs their planned steps) and the host
overhead per run (wall time of the campaign minus the container time of its runs, per run).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import optuna
from optuna.trial import TrialState, create_trial

from sentinel.agent.brains._base import Brain, CampaignContext, Proposal
from sentinel.agent.brains._search import CampaignView, Resolver, SearchSpace, trials
from sentinel.agent.brains.strategist import StrategistBrain
from sentinel.agent.campaign import AutoApproval, CampaignRunner
from sentinel.agent.goals import load_goal
from sentinel.agent.store import FeedbackStore
from sentinel.sandbox.paths import CONFIGS_DIR


class PlainSearchBrain(Brain):
    """Tier 1 only: one Optuna sampler over the goal's search space, trials rebuilt from the store."""

    name: ClassVar[str] = "plain"

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


def run_one(brain: Brain, label: str, goal, seed: int, out: Path, parallel: int) -> dict:
    store = FeedbackStore(out / f"{label}-{seed}.db")
    runner = CampaignRunner(
        store, brain, AutoApproval(), configs_dir=CONFIGS_DIR, runs_dir=out / "runs", parallel=parallel
    )
    started = time.perf_counter()
    outcome = runner.start(goal, seed=seed)
    wall = time.perf_counter() - started
    runs = store.runs(outcome.campaign_id)
    container_s = sum(r.duration_s or 0.0 for r in runs)
    saved = 0.0
    for r in runs:  # a monitor stop: the run ended diverged before its planned steps
        if r.status == "diverged" and r.epochs and r.duration_s:
            planned = _planned_epochs(Path(r.out_dir))
            if planned and planned > r.epochs:
                saved += r.duration_s * (planned - r.epochs) / r.epochs
    return {
        "brain": label,
        "seed": seed,
        "best": outcome.best_value,
        "runs": len(runs),
        "wall_s": wall,
        "host_overhead_s": (wall - container_s) / max(len(runs), 1),
        "saved_s": saved,
    }


def _planned_epochs(run_dir: Path) -> int | None:
    import yaml

    try:
        config = yaml.safe_load((run_dir / "config.yaml").read_text())
        return int(config["trainer"]["epochs"])
    except (OSError, KeyError, TypeError, ValueError, AttributeError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goal", default="ppg:hr_optimize")
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("runs-bench"))
    args = parser.parse_args()
    # No early finish at the goal's target: every brain gets the whole budget.
    goal = replace(load_goal(args.goal).with_budget(args.runs), target=None)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for seed in range(args.seeds):  # interleaved by seed so machine noise hits every brain alike
        for label, brain in (
            ("strategist", StrategistBrain()),
            ("tpe", PlainSearchBrain("tpe")),
            ("random", PlainSearchBrain("random")),
        ):
            row = run_one(brain, label, goal, seed, args.out, args.parallel)
            rows.append(row)
            print(
                f"{label:10s} seed {seed}: best {goal.metric.name}={row['best']}  runs {row['runs']}  "
                f"wall {row['wall_s']:.0f} s  host overhead/run {row['host_overhead_s']:.1f} s  "
                f"monitor saved {row['saved_s']:.0f} s",
                flush=True,
            )
    print(f"\n{args.goal}, {args.runs} runs x {args.seeds} seeds ({goal.metric.name}, {goal.metric.mode})")
    for label in ("strategist", "tpe", "random"):
        mine = [r for r in rows if r["brain"] == label and r["best"] is not None]
        if mine:
            print(
                f"{label:10s} median best {statistics.median(r['best'] for r in mine):.4g}   "
                f"per seed {[round(r['best'], 4) for r in mine]}   "
                f"median host overhead/run {statistics.median(r['host_overhead_s'] for r in mine):.1f} s"
            )


if __name__ == "__main__":
    main()
