"""The rows of `sentinel monitor status`: monitor experiences and run-quality reports (host side).

Two sources give the same rows: the FeedbackStore (what the host's artifact reader accepted from
campaign runs) and monitor_events.jsonl files an operator names, each read by the sandbox's one
hostile reader (`read_events_file`: no links, bounded, strict JSON, enumerated names; a bad file
is rejected whole and reported in Sentinel's words). Either way only enumerated names and
numbers come out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sentinel.contract.events import outcome_name
from sentinel.contract.records import RunArtifacts
from sentinel.sandbox.artifacts import read_events_file

__all__ = ["EventLike", "Experience", "experience_rows", "read_event_files", "row_of"]


class EventLike(Protocol):
    """What both sources hand out: `MonitorEvent` (artifact reader) and `MonitorEventRecord`
    (store). Numbers may be None in the store's mappings; they read as NaN."""

    @property
    def step(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def anomaly(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def evidence(self) -> Mapping[str, float | None]: ...
    @property
    def params(self) -> Mapping[str, float | None]: ...


@dataclass(frozen=True, slots=True)
class Experience:
    """One row, ready to display: names are from the enumerations only."""

    source: int | str  # the file's index (paths are the caller's, not the run's) or the store's run id
    step: int
    anomaly: str
    action: str
    outcome: str  # an OUTCOMES name, "reported" for a run-quality report, "?" for an unknown code
    reward: float
    evidence: dict[str, float]
    params: dict[str, float]


def row_of(source: int | str, event: EventLike) -> Experience | None:
    """The row for an experience or a run-quality report (action "none": a collapse or a mediocre
    run, what an operator most needs to see about a run that otherwise completed); None for an
    intervention line, whose outcome its later experience line carries."""
    params = {k: _number(v) for k, v in event.params.items()}
    evidence = {k: _number(v) for k, v in event.evidence.items()}
    if event.action == "none" and event.kind != "experience":
        return Experience(source, event.step, event.anomaly, "none", "reported", math.nan, evidence, params)
    if event.kind != "experience":
        return None
    outcome = outcome_name(params.pop("outcome", math.nan)) or "?"
    reward = params.pop("reward", math.nan)
    return Experience(source, event.step, event.anomaly, event.action, outcome, reward, evidence, params)


def experience_rows(events: Iterable[tuple[int | str, EventLike]], n: int) -> list[Experience]:
    """The last `n` rows of (source, event) pairs given oldest first."""
    rows = [row for source, event in events if (row := row_of(source, event)) is not None]
    return rows[-n:] if n > 0 else []


def read_event_files(paths: Iterable[Path]) -> list[RunArtifacts]:
    """Each file through the sandbox's hostile reader, in the order given."""
    return [read_events_file(Path(p)) for p in paths]


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)
