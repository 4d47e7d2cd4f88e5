"""The typed records a run produces on the host: pure data, shared by every consumer.

The artifact records are what the host's hostile reader (`sandbox/artifacts`) hands out:
everything in them has passed the schema: strings are members of `vocabulary` sets, names
match its patterns, numbers are finite and bounded (NaN only where the run flagged a
non-finite value). Mappings are read-only views, so a consumer cannot mutate what the reader
checked. `TrustedMetrics` is the host's own scoring of a run, `RunResult` one container's
outcome as `sandbox.run` observed it. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, float] = MappingProxyType({})


def _no_values() -> Mapping[str, float]:
    return _EMPTY


@dataclass(frozen=True, slots=True)
class MetricRecord:
    """One metrics.jsonl line.

    `loss`, `grad_norm` and task metrics are NaN exactly when the run wrote null and listed the
    key in `nonfinite` (the contract's encoding of NaN/Inf). `grad_norm`, `lr` and `fault` exist
    only on train lines; `values` holds the task metrics of val lines ("acc", "mae", ...).
    """

    step: int
    epoch: int
    split: str
    loss: float
    grad_norm: float | None = None
    lr: float | None = None
    fault: str | None = None
    values: Mapping[str, float] = field(default_factory=_no_values)
    nonfinite: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SummaryPoint:
    """`best` or `final` of summary.json; `values` keys are "<split>/<metric>", e.g. "val/mae".

    A null value (the run had no finite number) reads as NaN.
    """

    epoch: int
    step: int
    values: Mapping[str, float] = field(default_factory=_no_values)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """summary.json as the run *claims* it; the run's status comes from what the host saw.

    `reason` survives only if it is one of `vocabulary.SUMMARY_REASONS`; otherwise it is None
    and `reason_dropped` is True, so nothing the run wrote in its own words is kept.
    """

    status: str
    epochs: int
    steps: int
    best: SummaryPoint | None = None
    final: SummaryPoint | None = None
    reason: str | None = None
    reason_dropped: bool = False


@dataclass(frozen=True, slots=True)
class MonitorEvent:
    """One monitor_events.jsonl line: what the in-loop monitor saw and did at `step`.

    `kind` is "intervention" when the line had no `kind`. Evidence and params values are NaN
    where the monitor wrote null.
    """

    step: int
    anomaly: str
    action: str
    evidence: Mapping[str, float] = field(default_factory=_no_values)
    params: Mapping[str, float] = field(default_factory=_no_values)
    kind: str = "intervention"


@dataclass(frozen=True, slots=True)
class ArtifactFile:
    """A regular file of the artifact folder: its (pattern-checked) name, and the size and
    sha256 of exactly the bytes the reader read (and, for copy_artifacts, copied)."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class RunArtifacts:
    """Everything the host learns from one artifact folder; all or nothing.

    When `rejection` is set (Sentinel's wording of the first violation; `rejected_file` names the
    artifact, or is None for a folder-level violation) every other field is empty: the run is
    `artifact_rejected` and none of its content is trusted. `notes` are Sentinel's wording of
    findings that did not reject the run (a dropped reason, an unterminated last line, ...).
    """

    metrics: tuple[MetricRecord, ...] = ()
    summary: RunSummary | None = None
    events: tuple[MonitorEvent, ...] = ()
    files: tuple[ArtifactFile, ...] = ()
    rejection: str | None = None
    rejected_file: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.rejection is None

    @classmethod
    def rejected(cls, file: str, reason: str) -> RunArtifacts:
        """All or nothing: a rejection (`file` "" for the folder as a whole) and no content."""
        return cls(rejection=reason, rejected_file=file or None)


@dataclass(frozen=True, slots=True)
class TrustedMetrics:
    """The host's numbers for one run ("test/mae", "val/mae", ...) and its verdict on the claim."""

    values: Mapping[str, float | None] = field(default_factory=lambda: MappingProxyType({}))
    mismatch: str | None = None  # Sentinel's wording when the run's claim disagrees
    seconds: float = 0.0  # the whole evaluation step: layer build, container, read-back, scoring

    def to_json(self) -> dict[str, object]:
        return {"values": dict(self.values), "mismatch": self.mismatch, "seconds": round(self.seconds, 3)}


@dataclass(frozen=True, slots=True)
class RunResult:
    """One container's outcome; `status` comes from what the host observed, never from a file."""

    run_id: str
    status: str  # completed | diverged | failed | timeout | oom | killed | artifact_rejected
    reason: str  # Sentinel's own wording
    exit_code: int | None
    oom_killed: bool
    timed_out: bool
    isolation: str
    image: str
    seconds: float
    out_dir: Path
    log_tail: str
    artifacts: RunArtifacts | None
    trusted: TrustedMetrics | None = None  # the host's own scores (sandbox/evaluation.py)

    def to_json(self) -> dict[str, Any]:
        skip = {"artifacts", "log_tail", "trusted"}
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        data["out_dir"] = str(self.out_dir)
        if self.trusted is not None:
            data["trusted"] = self.trusted.to_json()
        summary = self.artifacts.summary if self.artifacts is not None else None
        for name in ("best", "final"):
            point = getattr(summary, name, None) if summary is not None else None
            if point is not None:
                data[name] = {"epoch": point.epoch, "step": point.step, **_finite_or_none(point.values)}
        return data


def _finite_or_none(values: Any) -> dict[str, float | None]:
    return {k: (v if v == v else None) for k, v in values.items()}  # NaN -> null in JSON
