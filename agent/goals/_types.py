"""The validated goal as the rest of Sentinel uses it: frozen dataclasses, plain values.

`_schema.GoalSpec` (the declared schema of a goal file) builds these; `CampaignGoal.to_dict()`
gives the goal back in its YAML shape, which the FeedbackStore snapshots and `resume` re-parses.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sentinel.agent.errors import BadInput

__all__ = [
    "MAX_RUNS",
    "CampaignGoal",
    "Choices",
    "GoalBudget",
    "GoalMetric",
    "Range",
    "SandboxSettings",
    "Scalar",
]

Scalar = str | int | float | bool
MAX_RUNS = 10_000


@dataclass(frozen=True, slots=True)
class GoalMetric:
    """The one number a campaign optimises: a summary key ("val/mae") and its direction."""

    name: str
    mode: str  # min | max

    def better(self, a: float, b: float) -> bool:
        """True when `a` is strictly better than `b` in this metric's direction."""
        return a < b if self.mode == "min" else a > b


@dataclass(frozen=True, slots=True)
class GoalBudget:
    runs: int
    wall_minutes: float


@dataclass(frozen=True, slots=True)
class Range:
    """A numeric interval; `integer` comes from the registry (e.g. model.depth)."""

    low: float
    high: float
    log: bool = False
    integer: bool = False

    def spec(self) -> dict[str, Any]:
        cast = int if self.integer else float
        return {"low": cast(self.low), "high": cast(self.high), "log": self.log}


@dataclass(frozen=True, slots=True)
class Choices:
    values: tuple[Scalar, ...]

    def spec(self) -> list[Scalar]:
        return list(self.values)


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    isolation: str = "runc"
    timeout_s: float = 600.0
    cpus: float = 1.0
    memory: str = "2g"


@dataclass(frozen=True, slots=True)
class CampaignGoal:
    """A validated goal. `start` (beyond DESIGN.md's example) holds the first run's overrides."""

    address: str
    name: str
    experiment: str
    metric: GoalMetric
    budget: GoalBudget
    search_space: tuple[tuple[str, Range | Choices], ...] = ()
    start: tuple[tuple[str, Scalar], ...] = ()
    target: float | None = None
    max_tier: int = 1
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    description: str = ""
    stop_on_stagnation: bool = False  # let drift's evidenced "stop" end the campaign before its budget

    def reached(self, value: float) -> bool:
        """True when `value` meets the optional target (ties count): the loop may finish early."""
        if self.target is None or not math.isfinite(value):
            return False
        return value <= self.target if self.metric.mode == "min" else value >= self.target

    def with_budget(self, runs: int) -> CampaignGoal:
        """The same goal with another run budget (`campaign run --budget N`)."""
        if isinstance(runs, bool) or not isinstance(runs, int) or not 1 <= runs <= MAX_RUNS:
            raise BadInput(f"budget must be an integer in 1..{MAX_RUNS}, got {runs!r}")
        return replace(self, budget=replace(self.budget, runs=runs))

    def with_target(self, target: float | None) -> CampaignGoal:
        """The same goal with another target (`campaign run --target X`; None removes it)."""
        if target is not None:
            if isinstance(target, bool) or not isinstance(target, int | float):
                raise BadInput(f"--target: must be a number, got {target!r:.60}")
            if not math.isfinite(target):
                raise BadInput(f"--target: must be a finite number, got {target!r:.60}")
            target = float(target)
        return replace(self, target=target)

    def to_dict(self) -> dict[str, Any]:
        """The goal in its YAML shape (plain JSON types); `parse_goal` reads it back equal."""
        data = {key: value for key, value in asdict(self).items() if key != "address"}
        data["search_space"] = {key: dim.spec() for key, dim in self.search_space}
        data["start"] = dict(self.start)
        return data
