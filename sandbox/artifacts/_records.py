"""The typed records the reader hands out: frozen, slotted, and holding no raw dict.

Everything here has passed the schema: strings are members of `vocabulary` sets, names match
its patterns, numbers are finite and bounded (NaN only where the run flagged a non-finite
value). Mappings are read-only views, so a consumer cannot mutate what the reader checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sentinel.sandbox.errors import ArtifactRejected

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
    def rejected(cls, err: ArtifactRejected) -> RunArtifacts:
        return cls(rejection=err.reason, rejected_file=err.file or None)

    def raise_if_rejected(self) -> RunArtifacts:
        """For callers that prefer the error tree: raise ArtifactRejected, else return self."""
        if self.rejection is not None:
            raise ArtifactRejected(self.rejected_file or "", self.rejection)
        return self
