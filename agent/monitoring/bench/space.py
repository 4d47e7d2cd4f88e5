"""A benchmark condition *space* (configs/monitor/space.yaml): its axes, parsed strictly.

A fixed suite is where the monitor was tuned, so its score says little about conditions it has
never seen. A space instead names the axes (experiment x model, optimizer with its momentum and
the LR range it trains at, schedule, batch size, injected faults with kind, magnitude, duration
and time, too-high and too-low starting LRs) and `sampling.sample_space` draws conditions.

The split is by hash: every sampled *setup* (experiment, model, optimizer, momentum, LR,
schedule and its parameters, batch size) belongs to `tune` or `holdout` by the parity of its
SHA-256, so half of the space is held out for good and a held-out condition's whole family (its
clean baseline and every disturbance of it) is a setup that tuning never ran.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentinel.agent.monitoring.bench import _fields as f
from sentinel.agent.monitoring.bench._fields import SuiteError
from sentinel.agent.monitoring.bench.suite import check_fault

__all__ = ["SPLITS", "Setup", "Space", "SpaceError", "load_space", "parse_space", "split_of"]

SPLITS = ("tune", "holdout")
MAX_SPACE_BYTES = 64 * 1024
MAX_STEPS = 5000
OPTIMIZERS = ("adamw", "sgd", "sgd_plain")
SCHEDULES = ("constant", "cosine", "step", "warmup")
DISTURBANCES = ("faults", "high_lr", "low_lr")
SCHEDULE_KEYS = {"constant": set(), "cosine": {"min_lr_ratio"}, "step": {"step_size", "gamma"}}
FAULT_RANGES = {  # which fault parameters a space draws (at_step is always drawn)
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
    # name -> {"lr": {"experiment" or "experiment/model" or "*": (lo, hi)}, "momentum": (lo, hi)}
    optimizers: dict[str, dict[str, Any]]
    schedules: dict[str, dict[str, tuple[float, float]]]  # name -> param -> (lo, hi)
    batch_sizes: tuple[int, ...]
    faults: dict[str, dict[str, tuple[float, float]]]  # kind -> param -> (lo, hi)
    max_faults: int
    starts: dict[str, tuple[float, float]]  # high_lr / low_lr -> LR multiplier range
    mix: dict[str, float]  # disturbance -> weight

    def lr_range(self, optimizer: str, experiment: str, model: str) -> tuple[float, float] | None:
        """The effective LR range at which this optimizer trains this model: the most specific
        entry of `optimizers.<name>.lr` (experiment/model, then experiment, then "*"); None when
        the optimizer has none for it (it is then never drawn for that model)."""
        return _lookup(self.optimizers[optimizer]["lr"], experiment, model)

    def optimizers_for(self, experiment: str, model: str) -> list[str]:
        """The optimizers with an LR range for this model, sorted."""
        return sorted(o for o in self.optimizers if self.lr_range(o, experiment, model) is not None)


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
    try:
        raw = f.read_yaml(path, MAX_SPACE_BYTES)
    except SuiteError as err:
        raise SpaceError(str(err)) from None
    return parse_space(raw)


def parse_space(raw: Any) -> Space:
    """The space, every field checked; a bad one raises SpaceError naming it."""
    try:
        return _parse(raw)
    except SpaceError:
        raise
    except SuiteError as err:
        raise SpaceError(str(err)) from None


def _parse(raw: Any) -> Space:
    if not isinstance(raw, Mapping):
        raise SpaceError("a space must be a mapping")
    f.known(raw, _KEYS, "space")
    exps = {}
    for name, models in f.mapping(raw.get("experiments"), "experiments").items():
        if not isinstance(models, list) or not models or not all(_is_name(m) for m in models):
            raise SpaceError(f"experiments.{name}: a non-empty list of model names")
        exps[f.name(name, "experiments")] = tuple(models)
    optimizers = {name: _optimizer(name, spec, exps) for name, spec in _entries(raw, "optimizers")}
    schedules = {}
    for name, spec in _entries(raw, "schedules"):
        if name not in SCHEDULES:
            raise SpaceError(f"schedules.{name}: not one of {', '.join(SCHEDULES)}")
        spec = f.mapping(spec or {}, f"schedules.{name}")
        f.known(spec, SCHEDULE_KEYS.get(name, {"warmup_steps"}), f"schedules.{name}")
        schedules[name] = {k: f.value_range(v, f"schedules.{name}.{k}", low=0.0) for k, v in spec.items()}
    batch = raw.get("batch_sizes")
    if not isinstance(batch, list) or not batch or not all(f.int_in(b, 1, 4096) for b in batch):
        raise SpaceError("batch_sizes: a non-empty list of integers 1..4096")
    faults = {kind: _fault_ranges(kind, spec) for kind, spec in _entries(raw, "faults")}
    starts = {}
    for name, spec in f.mapping(raw.get("starts", {}), "starts").items():
        if name not in ("high_lr", "low_lr"):
            raise SpaceError(f"starts.{name}: high_lr or low_lr")
        lo, hi = f.value_range(spec, f"starts.{name}", low=0.0)
        if (name == "high_lr" and lo <= 1) or (name == "low_lr" and hi >= 1):
            raise SpaceError(
                f"starts.{name}: a multiplier range {'above' if name == 'high_lr' else 'below'} 1"
            )
        starts[name] = (lo, hi)
    mix = {}
    for name, weight in _entries(raw, "mix"):
        if name not in DISTURBANCES:
            raise SpaceError(f"mix.{name}: not one of {', '.join(DISTURBANCES)}")
        mix[name] = f.positive(weight, f"mix.{name}")
        if name == "faults" and not faults:
            raise SpaceError("mix.faults needs `faults:`")
        if name != "faults" and name not in starts:
            raise SpaceError(f"mix.{name} needs starts.{name}")
    steps, per_setup, max_faults = raw.get("steps"), raw.get("per_setup", 4), raw.get("max_faults", 1)
    if not f.int_in(steps, 20, MAX_STEPS):
        raise SpaceError(f"steps: an integer 20..{MAX_STEPS}")
    if not f.int_in(per_setup, 2, 20):
        raise SpaceError("per_setup: an integer 2..20 (the clean baseline plus at least one disturbance)")
    if not f.int_in(max_faults, 1, 8):
        raise SpaceError("max_faults: an integer 1..8")
    for what, value in (("experiments", exps), ("optimizers", optimizers), ("schedules", schedules)):
        if not value:
            raise SpaceError(f"{what}: at least one entry")
    for experiment, models in exps.items():
        for model in models:
            if not any(_lookup(o["lr"], experiment, model) for o in optimizers.values()):
                raise SpaceError(f"optimizers: no optimizer has an LR range for {experiment}/{model}")
    return Space(
        name=f.name(raw.get("name", "space"), "name"),
        description=str(raw.get("description", ""))[:500],
        tolerance=f.fraction(raw.get("tolerance", 0.10), "tolerance"),
        harm_tolerance=f.fraction(raw.get("harm_tolerance", 0.05), "harm_tolerance"),
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


def _entries(raw: Mapping[str, Any], key: str) -> list[tuple[str, Any]]:
    return list(f.mapping(raw.get(key), key).items())


def _optimizer(name: str, spec: Any, experiments: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """`lr`: one effective LR, or a table of log-uniform ranges by "experiment/model",
    "experiment" or "*"; a model without a range never gets this optimizer."""
    where = f"optimizers.{name}"
    if name not in OPTIMIZERS:
        raise SpaceError(f"{where}: not one of {', '.join(OPTIMIZERS)}")
    spec = f.mapping(spec, where)
    f.known(spec, {"lr", "momentum"}, where)
    lr = spec.get("lr")
    if not isinstance(lr, Mapping):
        value = f.positive(lr, f"{where}.lr")
        lr = {"*": [value, value]}
    table = {}
    for key, value in f.mapping(lr, f"{where}.lr").items():
        experiment, _, model = key.partition("/")
        if key != "*" and (experiment not in experiments or (model and model not in experiments[experiment])):
            raise SpaceError(f"{where}.lr.{key}: not an experiment (or experiment/model) of this space")
        lo, hi = f.value_range(value, f"{where}.lr.{key}", low=0.0)
        if lo <= 0:
            raise SpaceError(f"{where}.lr.{key}: LRs must be positive, got {value!r}")
        table[key] = (lo, hi)
    entry: dict[str, Any] = {"lr": table}
    if name == "sgd":
        lo, hi = f.value_range(spec.get("momentum"), f"{where}.momentum", low=0.0)
        if hi >= 1:
            raise SpaceError(f"{where}.momentum must stay below 1, got {hi}")
        entry["momentum"] = (lo, hi)
    elif "momentum" in spec:
        raise SpaceError(f"{where}: only sgd draws a momentum")
    return entry


def _lookup(
    table: Mapping[str, tuple[float, float]], experiment: str, model: str
) -> tuple[float, float] | None:
    for key in (f"{experiment}/{model}", experiment, "*"):
        if key in table:
            return table[key]
    return None


def _fault_ranges(kind: str, spec: Any) -> dict[str, tuple[float, float]]:
    """Ranges for the drawn parameters of one fault kind; both ends must be faults the runtime
    accepts (the suite's `check_fault`, which is the runtime's own rule)."""
    if kind not in FAULT_RANGES:
        raise SpaceError(f"faults.{kind}: not one of {', '.join(FAULT_RANGES)}")
    spec = f.mapping(spec or {}, f"faults.{kind}")
    f.known(spec, set(FAULT_RANGES[kind]), f"faults.{kind}")
    missing = set(FAULT_RANGES[kind]) - set(spec)
    if missing:
        raise SpaceError(f"faults.{kind}: give a range for {sorted(missing)[0]}")
    ranges = {k: f.value_range(v, f"faults.{kind}.{k}", low=None) for k, v in spec.items()}
    for key, (lo, hi) in ranges.items():
        for value in (lo, hi):
            probe = {"kind": kind, "at_step": 1, key: int(value) if key == "duration" else value}
            try:
                check_fault("space", 0, probe)
            except SuiteError as err:
                raise SpaceError(f"faults.{kind}.{key}: {str(err).split(': ', 1)[-1]}") from None
    return ranges


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(f.NAME.match(value))


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
