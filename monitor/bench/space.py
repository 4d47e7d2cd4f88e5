"""A benchmark condition *space* (configs/monitor/space.yaml), sampled into a `Suite`.

A fixed suite is where the monitor was tuned, so its score says little about conditions it has
never seen. A space instead names the axes (experiment x model, optimizer with its momentum,
schedule, batch size, injected faults with kind, magnitude, duration and time, too-high and
too-low starting LRs) and `sample_space` draws conditions from them.

The split is by hash: every sampled *setup* (experiment, model, optimizer, momentum, schedule and
its parameters, batch size) belongs to `tune` or `holdout` by the parity of its SHA-256, so half
of the space is held out for good and a held-out condition's whole family (its clean baseline and
every disturbance of it) is a setup that tuning never ran. Thresholds are tuned on `tune` only.

Sampling is deterministic given (space, split, sample size, seed): the same command gives the
same suite on any machine, and a different `--seed` draws a different sample of the same half.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sentinel.monitor.bench.suite import MAX_CONDITIONS, Condition, Suite, SuiteError, _fault

__all__ = [
    "SPLITS",
    "Setup",
    "Space",
    "SpaceError",
    "load_space",
    "parse_space",
    "sample_space",
    "split_of",
    "suite_yaml",
]

SPLITS = ("tune", "holdout")
MAX_SPACE_BYTES = 64 * 1024
MAX_STEPS = 5000
OPTIMIZERS = ("adamw", "sgd", "sgd_plain")
SCHEDULES = ("constant", "cosine", "step", "warmup")
DISTURBANCES = ("faults", "high_lr", "low_lr")
_FAULT_RANGES = {  # which fault parameters a space draws (at_step is always drawn)
    "lr_spike": ("factor",),
    "grad_explosion": ("factor", "duration"),
    "nan_loss": (),
    "bad_batch": ("scale", "duration"),
}
_KEYS = {
    "name",
    "description",
    "tolerance",
    "harm_tolerance",
    "steps",
    "per_setup",
    "experiments",
    "optimizers",
    "schedules",
    "batch_sizes",
    "faults",
    "max_faults",
    "starts",
    "mix",
}


class SpaceError(SuiteError):
    """The space file is malformed; the message names the field."""


@dataclass(frozen=True, slots=True)
class Space:
    name: str
    description: str
    tolerance: float
    harm_tolerance: float
    steps: int
    per_setup: int  # conditions per sampled setup: its clean baseline plus per_setup - 1 disturbed
    experiments: dict[str, tuple[str, ...]]  # experiment -> models
    optimizers: dict[str, dict[str, Any]]  # name -> {lr (effective), momentum: (lo, hi)}
    schedules: dict[str, dict[str, tuple[float, float]]]  # name -> param -> (lo, hi)
    batch_sizes: tuple[int, ...]
    faults: dict[str, dict[str, tuple[float, float]]]  # kind -> param -> (lo, hi)
    max_faults: int
    starts: dict[str, tuple[float, float]]  # high_lr / low_lr -> LR multiplier range
    mix: dict[str, float]  # disturbance -> weight


@dataclass(frozen=True, slots=True)
class Setup:
    """One training setup of the space: what the split hashes."""

    experiment: str
    model: str
    optimizer: str
    momentum: float
    lr: float
    schedule: str
    schedule_params: tuple[tuple[str, float], ...]
    batch_size: int

    def key(self) -> str:
        """Canonical: plain sgd is sgd at momentum 0 (the same run), so the two names can never
        land in different halves."""
        optimizer = "sgd" if self.optimizer == "sgd_plain" else self.optimizer
        return json.dumps(
            [
                self.experiment,
                self.model,
                optimizer,
                self.momentum,
                self.lr,
                self.schedule,
                list(self.schedule_params),
                self.batch_size,
            ],
            separators=(",", ":"),
        )

    def digest(self) -> str:
        return hashlib.sha256(self.key().encode()).hexdigest()

    def overrides(self, steps: int) -> list[str]:
        out = [
            f"model={self.model}",
            "trainer=constant",
            f"trainer.optimizer={'adamw' if self.optimizer == 'adamw' else 'sgd'}",
            f"trainer.lr={self.lr:.6g}",
            f"trainer.schedule={self.schedule}",
            f"trainer.batch_size={self.batch_size}",
            f"trainer.max_steps={steps}",
            "trainer.epochs=1000",
        ]
        if self.optimizer != "adamw":
            out.append(f"trainer.momentum={self.momentum:g}")  # plain sgd: momentum 0, the same run
        out += [f"trainer.{k}={_fmt(v)}" for k, v in self.schedule_params]
        return out


def split_of(setup: Setup) -> str:
    """`tune` or `holdout`, by the parity of the setup's SHA-256: fixed forever, machine-free."""
    return SPLITS[int(setup.digest(), 16) % 2]


def load_space(path: Path) -> Space:
    with Path(path).open("rb") as fh:
        data = fh.read(MAX_SPACE_BYTES + 1)
    if len(data) > MAX_SPACE_BYTES:
        raise SpaceError(f"{path}: larger than {MAX_SPACE_BYTES} bytes")
    try:
        raw = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as err:
        raise SpaceError(f"{path}: not valid YAML ({type(err).__name__})") from None
    return parse_space(raw)


def parse_space(raw: Any) -> Space:
    if not isinstance(raw, Mapping):
        raise SpaceError("a space must be a mapping")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise SpaceError(f"space: unknown key {unknown[0]!r}")
    experiments = _mapping(raw.get("experiments"), "experiments")
    exps = {}
    for name, models in experiments.items():
        if not isinstance(models, list) or not models or not all(_is_name(m) for m in models):
            raise SpaceError(f"experiments.{name}: a non-empty list of model names")
        exps[_name(name, "experiments")] = tuple(models)
    optimizers = {}
    for name, spec in _mapping(raw.get("optimizers"), "optimizers").items():
        if name not in OPTIMIZERS:
            raise SpaceError(f"optimizers.{name}: not one of {', '.join(OPTIMIZERS)}")
        spec = _mapping(spec, f"optimizers.{name}")
        _only(spec, {"lr", "momentum"}, f"optimizers.{name}")
        entry: dict[str, Any] = {"lr": _positive(spec.get("lr"), f"optimizers.{name}.lr")}
        if name == "sgd":
            lo, hi = _range(spec.get("momentum"), f"optimizers.{name}.momentum", low=0.0)
            if hi >= 1:
                raise SpaceError(f"optimizers.{name}.momentum must stay below 1, got {hi}")
            entry["momentum"] = (lo, hi)
        elif "momentum" in spec:
            raise SpaceError(f"optimizers.{name}: only sgd draws a momentum")
        optimizers[name] = entry
    schedules = {}
    for name, spec in _mapping(raw.get("schedules"), "schedules").items():
        if name not in SCHEDULES:
            raise SpaceError(f"schedules.{name}: not one of {', '.join(SCHEDULES)}")
        spec = _mapping(spec or {}, f"schedules.{name}")
        allowed = {"constant": set(), "cosine": {"min_lr_ratio"}, "step": {"step_size", "gamma"}}.get(
            name, {"warmup_steps"}
        )
        _only(spec, allowed, f"schedules.{name}")
        schedules[name] = {k: _range(v, f"schedules.{name}.{k}", low=0.0) for k, v in spec.items()}
    batch = raw.get("batch_sizes")
    if not isinstance(batch, list) or not batch or not all(_int_in(b, 1, 4096) for b in batch):
        raise SpaceError("batch_sizes: a non-empty list of integers 1..4096")
    faults = {}
    for kind, spec in _mapping(raw.get("faults"), "faults").items():
        if kind not in _FAULT_RANGES:
            raise SpaceError(f"faults.{kind}: not one of {', '.join(_FAULT_RANGES)}")
        spec = _mapping(spec or {}, f"faults.{kind}")
        _only(spec, set(_FAULT_RANGES[kind]), f"faults.{kind}")
        missing = set(_FAULT_RANGES[kind]) - set(spec)
        if missing:
            raise SpaceError(f"faults.{kind}: give a range for {sorted(missing)[0]}")
        ranges = {k: _range(v, f"faults.{kind}.{k}", low=None) for k, v in spec.items()}
        for key, (lo, hi) in ranges.items():  # both ends must be faults the runtime accepts
            for value in (lo, hi):
                probe = {"kind": kind, "at_step": 1, key: int(value) if key == "duration" else value}
                try:
                    _fault("space", 0, probe)
                except SuiteError as err:
                    raise SpaceError(f"faults.{kind}.{key}: {str(err).split(': ', 1)[-1]}") from None
        faults[kind] = ranges
    starts = {}
    for name, spec in _mapping(raw.get("starts", {}), "starts").items():
        if name not in ("high_lr", "low_lr"):
            raise SpaceError(f"starts.{name}: high_lr or low_lr")
        lo, hi = _range(spec, f"starts.{name}", low=0.0)
        if (name == "high_lr") != (lo > 1):
            raise SpaceError(
                f"starts.{name}: a multiplier range {'above' if name == 'high_lr' else 'below'} 1"
            )
        if name == "low_lr" and hi >= 1:
            raise SpaceError("starts.low_lr: a multiplier range below 1")
        starts[name] = (lo, hi)
    mix = {}
    for name, weight in _mapping(raw.get("mix"), "mix").items():
        if name not in DISTURBANCES:
            raise SpaceError(f"mix.{name}: not one of {', '.join(DISTURBANCES)}")
        mix[name] = _positive(weight, f"mix.{name}")
        if name == "faults" and not faults:
            raise SpaceError("mix.faults needs `faults:`")
        if name != "faults" and name not in starts:
            raise SpaceError(f"mix.{name} needs starts.{name}")
    steps = raw.get("steps")
    if not _int_in(steps, 20, MAX_STEPS):
        raise SpaceError(f"steps: an integer 20..{MAX_STEPS}")
    per_setup = raw.get("per_setup", 4)
    if not _int_in(per_setup, 2, 20):
        raise SpaceError("per_setup: an integer 2..20 (the clean baseline plus at least one disturbance)")
    max_faults = raw.get("max_faults", 1)
    if not _int_in(max_faults, 1, 8):
        raise SpaceError("max_faults: an integer 1..8")
    for what, value in (("experiments", exps), ("optimizers", optimizers), ("schedules", schedules)):
        if not value:
            raise SpaceError(f"{what}: at least one entry")
    return Space(
        name=_name(raw.get("name", "space"), "name"),
        description=str(raw.get("description", ""))[:500],
        tolerance=_fraction(raw.get("tolerance", 0.10), "tolerance"),
        harm_tolerance=_fraction(raw.get("harm_tolerance", 0.05), "harm_tolerance"),
        steps=steps,
        per_setup=per_setup,
        experiments=exps,
        optimizers=optimizers,
        schedules=schedules,
        batch_sizes=tuple(batch),
        faults=faults,
        max_faults=max_faults,
        starts=starts,
        mix=mix,
    )


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
    optimizer = rng.choice(sorted(space.optimizers))
    spec = space.optimizers[optimizer]
    momentum = round(rng.uniform(*spec["momentum"]), 2) if optimizer == "sgd" else 0.0
    # SGD's configured LR is effective: lr / (1 - momentum) stays at the space's value, so a
    # clean setup trains; a too-high start is a `high_lr` disturbance, not a broken baseline
    lr = _sig(spec["lr"] * (1.0 - momentum)) if optimizer != "adamw" else spec["lr"]
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
            faults.append(_fault(name, len(faults), fault))
        first = min(int(f["at_step"]) for f in faults)
        return Condition(
            f"{name}_faults", setup.experiment, tuple(base), tuple(faults), seeds, f"{tag}_clean", first
        )
    lo, hi = space.starts[kind]
    lr = _sig(setup.lr * _log_uniform(rng, lo, hi))
    overrides = tuple(o if not o.startswith("trainer.lr=") else f"trainer.lr={lr:.6g}" for o in base)
    return Condition(f"{name}_{kind}", setup.experiment, overrides, (), seeds, f"{tag}_clean", 1)


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _sig(value: float) -> float:
    return float(f"{value:.3g}")


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise SpaceError(f"{where}: a mapping")
    return value


def _only(spec: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(spec) - allowed)
    if extra:
        raise SpaceError(f"{where}: unknown key {extra[0]!r}")


def _is_name(value: Any) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= 48
        and value.replace("_", "").isalnum()
        and value.islower()
    )


def _name(value: Any, where: str) -> str:
    if not _is_name(value):
        raise SpaceError(f"{where}: a short lowercase name, got {value!r}")
    return value


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _positive(value: Any, where: str) -> float:
    if not _number(value) or value <= 0:
        raise SpaceError(f"{where}: a positive number, got {value!r}")
    return float(value)


def _range(value: Any, where: str, low: float | None) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2 or not all(_number(v) for v in value):
        raise SpaceError(f"{where}: a range [low, high], got {value!r}")
    lo, hi = float(value[0]), float(value[1])
    if lo > hi or (low is not None and lo < low):
        raise SpaceError(f"{where}: need {'' if low is None else f'{low} <= '}low <= high, got {value!r}")
    return lo, hi


def _int_in(value: Any, lo: int, hi: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def _fraction(value: Any, where: str) -> float:
    if not _number(value) or not 0 < value < 1:
        raise SpaceError(f"{where}: a number in (0, 1), got {value!r}")
    return float(value)
