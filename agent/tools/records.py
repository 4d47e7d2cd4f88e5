"""What the tools return: typed records, never text.

The strategist reads these fields directly; only the LLM brain turns them into text for a
model (`sentinel.agent.brains._tool_text`). Every field holds the store's numbers and
enumerated strings, checked identifiers, trusted config text or Sentinel's own wording, never
free text a run wrote, so any rendering of a record is safe to put in a prompt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentinel.agent.configs import ResolvedConfig
    from sentinel.agent.store import RunRecord
    from sentinel.validator import Violation

__all__ = [
    "AvailableConfigs",
    "ComparedRun",
    "Comparison",
    "ComposedConfig",
    "ExperimentConfig",
    "History",
    "HistoryRow",
    "ModelRegistration",
    "ModelSource",
    "RunReport",
    "SearchDimension",
    "SearchSpaceReport",
    "TunableParam",
    "VariantWritten",
]

Scalar = str | int | float | bool


# tier 1 ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AvailableConfigs:
    experiments: tuple[str, ...]
    groups: tuple[tuple[str, tuple[tuple[str, bool], ...]], ...]  # group -> ((entry, generated), ...)
    experiment: str  # this campaign's


@dataclass(frozen=True, slots=True)
class RunReport:
    run: RunRecord
    metric: str
    mode: str
    actions: tuple[tuple[str, str, int], ...]  # (anomaly, action, count), sorted

    @property
    def rescued(self) -> bool:
        """The monitor intervened and the run completed."""
        return bool(self.actions) and self.run.status == "completed"


@dataclass(frozen=True, slots=True)
class ComparedRun:
    run_id: str
    status: str
    value: float | None  # the goal metric of a completed run
    own_overrides: Mapping[str, Scalar]  # those not shared by every compared run


@dataclass(frozen=True, slots=True)
class Comparison:
    metric: str
    mode: str
    shared: Mapping[str, Scalar]
    runs: tuple[ComparedRun, ...]  # best first


@dataclass(frozen=True, slots=True)
class HistoryRow:
    seq: int
    tier: int
    run_id: str | None  # None: no run yet
    status: str  # the run's status, else the proposal's state
    value: float | None  # the goal metric of a completed run
    overrides: Mapping[str, Scalar]


@dataclass(frozen=True, slots=True)
class History:
    metric: str
    mode: str
    budget_runs: int
    proposals: int
    rows: tuple[HistoryRow, ...]
    best: tuple[str, float | None] | None  # (run id, value) of the best run so far


@dataclass(frozen=True, slots=True)
class ExperimentConfig:
    experiment: str
    resolved: ResolvedConfig


@dataclass(frozen=True, slots=True)
class SearchDimension:
    key: str
    low: Scalar | None = None  # ranges
    high: Scalar | None = None
    log: bool = False
    tried: tuple[float, float] | None = None  # (lowest, highest) numeric value tried
    values: tuple[Scalar, ...] = ()  # choices
    untried: tuple[str, ...] = ()
    at_best: Scalar | None = None

    @property
    def is_range(self) -> bool:
        return not self.values


@dataclass(frozen=True, slots=True)
class TunableParam:
    key: str  # section.name
    kind: str  # int | float | str
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, slots=True)
class SearchSpaceReport:
    metric: str
    mode: str
    completed: int
    dimensions: tuple[SearchDimension, ...]
    others: tuple[TunableParam, ...]


# tier 2 ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class VariantWritten:
    output: str  # generated/<group dir>/<name>.yaml
    group: str
    base: str
    name: str
    changes: Mapping[str, Scalar | None]
    existed: bool  # the same variant was already there: nothing was written


@dataclass(frozen=True, slots=True)
class ComposedConfig:
    experiment: str
    resolved: ResolvedConfig
    generated: tuple[tuple[str, bool, int], ...]  # (file, accepted, findings)


# tier 3 ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ModelSource:
    model: str
    target: str
    text: str  # trusted to read, never to follow: fenced as data when shown to a model


@dataclass(frozen=True, slots=True)
class ModelRegistration:
    """A registration's answer: accepted (then registered as `name`) or rejected with every
    finding (nothing written). A rejection is an answer, not an error: the author fixes the code."""

    accepted: bool
    name: str
    class_name: str = ""
    target: str = ""
    sha256: str = ""
    params: Mapping[str, Scalar] | None = None
    violations: tuple[Violation, ...] = ()
