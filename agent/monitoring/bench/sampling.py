"""Drawing a `Suite` from a `Space`: setups of one half, each with its clean baseline first.

Sampling is deterministic given (space, split, sample size, seed): the same command gives the
same suite on any machine, and a different `--seed` draws a different sample of the same half.
Thresholds are tuned on `tune` only; `holdout` is run once, with the final code.
"""

from __future__ import annotations

import math
import random
from typing import Any

import yaml

from sentinel.agent.monitoring.bench.space import SPLITS, Setup, Space, SpaceError, split_of
from sentinel.agent.monitoring.bench.suite import MAX_CONDITIONS, Condition, Suite, check_fault
from sentinel.contract.registry import TARGETS

# the largest LR a run accepts: a too-high start is drawn up to it, never past it
LR_MAX = float(TARGETS["sentinel.sandbox.runtime.trainer.Trainer"].params["lr"].high or math.inf)

__all__ = ["sample_space", "suite_yaml"]


def sample_space(space: Space, n: int, split: str, seed: int, seeds: int = 3) -> Suite:
    """`n` conditions of `split`, grouped by setup (each setup's clean baseline first), every one
    run with seeds 0..seeds-1. Deterministic in (space, n, split, seed)."""
    if split not in SPLITS:
        raise SpaceError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    if not 2 <= n <= MAX_CONDITIONS:
        raise SpaceError(f"--sample must be 2..{MAX_CONDITIONS}, got {n}")
    if not 1 <= seeds <= 100:
        raise SpaceError(f"seeds must be 1..100, got {seeds}")
    rng = random.Random(f"{space.name}:{seed}")
    conditions: list[Condition] = []
    seen: set[str] = set()
    tries = 0
    while len(conditions) < n:
        tries += 1
        if tries > 200 * n:
            raise SpaceError(f"the {split} half of this space has too few distinct setups for {n} conditions")
        setup = _draw_setup(space, rng)
        if split_of(setup) != split or setup.key() in seen:
            continue
        seen.add(setup.key())
        tag = f"s{len(seen):02d}_{setup.digest()[:6]}"
        base = setup.overrides(space.steps)
        run_seeds = tuple(range(seeds))
        conditions.append(Condition(f"{tag}_clean", setup.experiment, tuple(base), (), run_seeds))
        for j in range(min(space.per_setup - 1, n - len(conditions))):
            conditions.append(_disturbed(space, setup, rng, tag, j + 1, base, run_seeds))
    return Suite(
        f"{space.name}_{split}_{seed}",
        f"{n} conditions sampled from the {split} half of {space.name} (seed {seed})",
        space.tolerance,
        space.harm_tolerance,
        tuple(conditions),
    )


def suite_yaml(suite: Suite) -> str:
    """The sampled suite as a suite file (`--suite` reruns exactly these conditions)."""
    conditions = []
    for c in suite.conditions:
        entry: dict[str, Any] = {"name": c.name, "experiment": c.experiment, "overrides": list(c.overrides)}
        if c.faults:
            entry["faults"] = [dict(f) for f in c.faults]
        entry["seeds"] = list(c.seeds)
        if c.baseline is not None:
            entry.update(baseline=c.baseline, fault_step=c.fault_step)
        conditions.append(entry)
    data = {
        "name": suite.name,
        "description": suite.description,
        "tolerance": suite.tolerance,
        "harm_tolerance": suite.harm_tolerance,
        "conditions": conditions,
    }
    return yaml.safe_dump(data, sort_keys=False, width=200)


def _draw_setup(space: Space, rng: random.Random) -> Setup:
    experiment = rng.choice(sorted(space.experiments))
    model = rng.choice(space.experiments[experiment])
    optimizer = rng.choice(space.optimizers_for(experiment, model))
    spec = space.optimizers[optimizer]
    momentum = round(rng.uniform(*spec["momentum"]), 2) if optimizer == "sgd" else 0.0
    # The drawn LR is effective: SGD gets lr x (1 - momentum), so lr / (1 - momentum) stays in the
    # range where this optimizer trains this model; a too-high start is a `high_lr` disturbance,
    # not a broken baseline
    effective = _log_uniform(rng, *(space.lr_range(optimizer, experiment, model) or (math.nan, math.nan)))
    lr = _sig(effective * (1.0 - momentum))
    schedule = rng.choice(sorted(space.schedules))
    params = []
    for key, (lo, hi) in sorted(space.schedules[schedule].items()):
        value = rng.uniform(lo, hi)
        params.append((key, float(round(value)) if key in ("step_size", "warmup_steps") else round(value, 2)))
    return Setup(
        experiment, model, optimizer, momentum, lr, schedule, tuple(params), rng.choice(space.batch_sizes)
    )


def _disturbed(
    space: Space,
    setup: Setup,
    rng: random.Random,
    tag: str,
    index: int,
    base: list[str],
    seeds: tuple[int, ...],
) -> Condition:
    name = f"{tag}_{index}"
    kinds = sorted(space.mix)
    kind = rng.choices(kinds, weights=[space.mix[k] for k in kinds])[0]
    if kind == "faults":
        count = rng.randint(1, space.max_faults)
        last = max(1, int(0.9 * space.steps))  # anywhere from step 1 to the last 10% of the run
        faults = []
        for _ in range(count):
            fault_kind = rng.choice(sorted(space.faults))
            fault: dict[str, Any] = {"kind": fault_kind, "at_step": rng.randint(1, last)}
            for key, (lo, hi) in sorted(space.faults[fault_kind].items()):
                value = _log_uniform(rng, lo, hi) if lo > 0 else rng.uniform(lo, hi)
                fault[key] = max(1, round(value)) if key == "duration" else _sig(value)
            faults.append(check_fault(name, len(faults), fault))
        first = min(int(f["at_step"]) for f in faults)
        return Condition(
            f"{name}_faults", setup.experiment, tuple(base), tuple(faults), seeds, f"{tag}_clean", first
        )
    lo, hi = space.starts[kind]
    lr = min(_sig(setup.lr * _log_uniform(rng, lo, hi)), LR_MAX)
    overrides = tuple(o if not o.startswith("trainer.lr=") else f"trainer.lr={lr:.6g}" for o in base)
    return Condition(f"{name}_{kind}", setup.experiment, overrides, (), seeds, f"{tag}_clean", 1)


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return lo if lo == hi else math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _sig(value: float) -> float:
    return float(f"{value:.3g}")
