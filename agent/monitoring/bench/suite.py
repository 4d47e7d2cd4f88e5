"""Benchmark suite files: a YAML list of conditions, parsed strictly.

A *clean* condition (no faults, no baseline) is a baseline: its runs define the clean median
and count for false positives. Every other condition names the clean `baseline` it is judged
against and where its trouble starts (`fault_step`: the first injected fault's `at_step`, or
given explicitly for bad initial conditions such as a too-high LR, where it is 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sentinel.agent.monitoring.bench import _fields
from sentinel.agent.monitoring.bench._fields import SuiteError
from sentinel.contract.params import ConfigInvalid, check_faults
from sentinel.contract.registry import FAULTS

__all__ = ["FAULT_KINDS", "Condition", "Suite", "SuiteError", "load_suite", "parse_suite"]

FAULT_KINDS = {kind: frozenset(params) for kind, params in FAULTS.items()}  # the runtime's table
MAX_SUITE_BYTES = 256 * 1024
MAX_CONDITIONS = 200
MAX_SEEDS = 100
_SUITE_KEYS = {"name", "description", "tolerance", "harm_tolerance", "conditions"}
_CONDITION_KEYS = {"name", "experiment", "overrides", "faults", "seeds", "baseline", "fault_step", "note"}


@dataclass(frozen=True, slots=True)
class Condition:
    name: str
    experiment: str
    overrides: tuple[str, ...]
    faults: tuple[dict[str, Any], ...]
    seeds: tuple[int, ...]
    baseline: str | None = None
    fault_step: int | None = None
    note: str = ""

    @property
    def clean(self) -> bool:
        return self.baseline is None

    def run_overrides(self, seed: int, monitored: bool) -> list[str]:
        """Everything that makes one run, as dotted overrides any executor can pass on."""
        faults = yaml.safe_dump([dict(f) for f in self.faults], default_flow_style=True, width=10_000).strip()
        return [
            *self.overrides,
            f"trainer.faults={faults}",
            f"experiment.seed={seed}",
            f"monitor.enabled={'true' if monitored else 'false'}",
        ]


@dataclass(frozen=True, slots=True)
class Suite:
    name: str
    description: str
    tolerance: float  # resolved: final val loss within (1 + tolerance) x the clean median
    harm_tolerance: float  # no harm: within (1 + harm_tolerance) x a healthy shadow
    conditions: tuple[Condition, ...]

    def with_seeds(self, n: int) -> Suite:
        """The same suite with seeds 0..n-1 everywhere (the CLI's --seeds)."""
        if not 1 <= n <= MAX_SEEDS:
            raise SuiteError(f"--seeds must be 1..{MAX_SEEDS}, got {n}")
        conditions = tuple(
            Condition(
                c.name, c.experiment, c.overrides, c.faults, tuple(range(n)), c.baseline, c.fault_step, c.note
            )
            for c in self.conditions
        )
        return Suite(self.name, self.description, self.tolerance, self.harm_tolerance, conditions)


def load_suite(path: Path) -> Suite:
    return parse_suite(_fields.read_yaml(path, MAX_SUITE_BYTES))


def parse_suite(raw: Any) -> Suite:
    if not isinstance(raw, Mapping):
        raise SuiteError("a suite must be a mapping with `conditions:`")
    _fields.known(raw, _SUITE_KEYS, "suite")
    conditions = raw.get("conditions")
    if not isinstance(conditions, list) or not 1 <= len(conditions) <= MAX_CONDITIONS:
        raise SuiteError(f"suite: `conditions` must be a list of 1..{MAX_CONDITIONS} conditions")
    parsed = tuple(_condition(i, c) for i, c in enumerate(conditions))
    names = [c.name for c in parsed]
    if len(set(names)) != len(names):
        raise SuiteError("suite: condition names must be unique")
    clean = {c.name for c in parsed if c.clean}
    for c in parsed:
        if not c.clean and c.baseline not in clean:
            raise SuiteError(
                f"condition {c.name!r}: baseline {c.baseline!r} is not a clean condition of this suite"
            )
    suite = Suite(
        name=_fields.name(raw.get("name", "suite"), "suite.name"),
        description=str(raw.get("description", ""))[:500],
        tolerance=_fields.fraction(raw.get("tolerance", 0.10), "suite.tolerance"),
        harm_tolerance=_fields.fraction(raw.get("harm_tolerance", 0.05), "suite.harm_tolerance"),
        conditions=parsed,
    )
    return suite


def _condition(index: int, raw: Any) -> Condition:
    where = f"condition #{index + 1}"
    if not isinstance(raw, Mapping):
        raise SuiteError(f"{where}: must be a mapping")
    name = _fields.name(raw.get("name"), f"{where}.name")
    where = f"condition {name!r}"
    _fields.known(raw, _CONDITION_KEYS, where)
    experiment = _fields.name(raw.get("experiment"), f"{where}.experiment")
    overrides = raw.get("overrides", [])
    if not isinstance(overrides, list) or not all(
        isinstance(o, str) and 0 < len(o) <= 4096 for o in overrides
    ):
        raise SuiteError(f"{where}: overrides must be a list of strings such as trainer.lr=0.08")
    if any(o.startswith(("trainer.faults=", "experiment.seed=", "monitor.enabled=")) for o in overrides):
        raise SuiteError(f"{where}: set faults, seeds and the monitor through the condition's own keys")
    faults = tuple(check_fault(where, i, f) for i, f in enumerate(raw.get("faults") or []))
    seeds = raw.get("seeds", [0])
    if (
        not isinstance(seeds, list)
        or not 1 <= len(seeds) <= MAX_SEEDS
        or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**31 for s in seeds)
    ):
        raise SuiteError(f"{where}: seeds must be a list of 1..{MAX_SEEDS} non-negative integers")
    baseline = raw.get("baseline")
    if baseline is not None:
        baseline = _fields.name(baseline, f"{where}.baseline")
    fault_step = raw.get("fault_step")
    if fault_step is not None and (
        isinstance(fault_step, bool) or not isinstance(fault_step, int) or fault_step < 1
    ):
        raise SuiteError(f"{where}: fault_step must be an integer >= 1")
    if baseline is None and (faults or fault_step is not None):
        raise SuiteError(f"{where}: a condition with faults needs a clean `baseline` to be judged against")
    if baseline is not None and fault_step is None:
        if not faults:
            raise SuiteError(f"{where}: give `fault_step` (1 for a bad initial condition) or `faults`")
        fault_step = min(int(f["at_step"]) for f in faults)
    return Condition(
        name,
        experiment,
        tuple(overrides),
        faults,
        tuple(seeds),
        baseline,
        fault_step,
        str(raw.get("note", ""))[:300],
    )


def check_fault(where: str, index: int, raw: Any) -> dict[str, Any]:
    """Fault parameters follow the runtime's own rule (`check_faults`, bounds in the registry),
    so the suite accepts exactly the faults a run accepts; defaults are filled in."""
    if not isinstance(raw, Mapping) or raw.get("kind") not in FAULT_KINDS:
        raise SuiteError(f"{where}: fault #{index + 1} needs kind in {sorted(FAULT_KINDS)}")
    try:
        [checked] = check_faults([dict(raw)], f"fault #{index + 1}")
    except ConfigInvalid as err:
        raise SuiteError(f"{where}: {err}") from None
    return checked
