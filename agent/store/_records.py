"""Rows as frozen records: what the loop, the brains and the dashboard get back from the store.

Mappings are read-only views and JSON columns are decoded once here, so no caller handles SQL
rows or raw JSON. Every string in a record is either an enumerated value, a checked identifier,
or Sentinel's own wording; every number is finite or None.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from sentinel.agent.store._values import Scalar

__all__ = [
    "ApprovalRecord",
    "CampaignRecord",
    "Claim",
    "EscalationRecord",
    "GoalSnapshot",
    "MonitorEventRecord",
    "ProposalRecord",
    "RunRecord",
    "StaleRun",
    "ranked_key",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def frozen_json(text: str | None) -> Mapping[str, Any]:
    """A JSON object column as a read-only mapping."""
    return MappingProxyType(json.loads(text)) if text else _EMPTY


class GoalSnapshot(Protocol):
    """What the store keeps of a campaign goal (sentinel.agent.goals.CampaignGoal is one): its
    name (the campaign id's stem), its address and its plain-data form, which resume parses back."""

    @property
    def name(self) -> str: ...

    @property
    def address(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class CampaignRecord:
    id: str
    goal_address: str
    goal: Mapping[str, Any]  # CampaignGoal.to_dict(); sentinel.agent.goals.parse_goal reads it back
    seed: int
    brain: str
    approval: str
    state: str  # running | paused | finished | failed
    state_reason: str
    tier: int  # current tier: 1 at creation, raised only by record_escalation
    created_at: float
    updated_at: float
    owner_pid: int | None
    owner_host: str | None
    heartbeat_at: float | None
    active_s: float = 0.0  # seconds live owners worked on it: what the wall budget charges

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> CampaignRecord:
        return cls(
            row["id"],
            row["goal_address"],
            frozen_json(row["goal_json"]),
            row["seed"],
            row["brain"],
            row["approval"],
            row["state"],
            row["state_reason"],
            row["tier"],
            row["created_at"],
            row["updated_at"],
            row["owner_pid"],
            row["owner_host"],
            row["heartbeat_at"],
            float(row["active_s"]),
        )


@dataclass(frozen=True, slots=True)
class ProposalRecord:
    id: int
    campaign_id: str
    seq: int
    tier: int
    brain: str
    experiment: str
    overrides: Mapping[str, Scalar]
    model_ref: str | None
    rationale: str
    parent_id: int | None
    lineage: str
    config_sha256: str | None
    state: str
    state_reason: str
    created_at: float
    updated_at: float

    def override_args(self) -> tuple[str, ...]:
        """`key=value` strings for LaunchRequest.overrides: group choices (`model=cnn1d`) first."""
        keys = sorted(self.overrides, key=lambda k: ("." in k, k))
        return tuple(f"{k}={_override_text(self.overrides[k])}" for k in keys)

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | sqlite3.Row) -> ProposalRecord:
        return cls(
            row["id"],
            row["campaign_id"],
            row["seq"],
            row["tier"],
            row["brain"],
            row["experiment"],
            frozen_json(row["overrides_json"]),
            row["model_ref"],
            row["rationale"],
            row["parent_id"],
            row["lineage"],
            row["config_sha256"],
            row["state"],
            row["state_reason"],
            row["created_at"],
            row["updated_at"],
        )


def _override_text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One attempt at running a proposal, with its proposal and its stored summary numbers.

    `best`/`final` map summary keys ("val/mae") to finite values or None, as the run claimed
    them; `trusted` maps "test/mae", "val/mae", ... to what the host computed itself from the
    run's predictions (docs/security.md). A run that never produced a summary has all empty.
    """

    id: int
    run_id: str
    proposal: ProposalRecord
    attempt: int
    status: str
    reason: str
    isolation: str | None
    image: str
    out_dir: str
    started_at: float
    heartbeat_at: float
    finished_at: float | None
    duration_s: float | None
    exit_code: int | None
    epochs: int | None
    steps: int | None
    summary_reason: str | None
    metric_lines: int
    nonfinite_lines: int
    initial_lr: float | None
    rejected_file: str | None
    best: Mapping[str, float | None] = field(default_factory=lambda: _EMPTY)
    final: Mapping[str, float | None] = field(default_factory=lambda: _EMPTY)
    trusted: Mapping[str, float | None] = field(default_factory=lambda: _EMPTY)
    best_step: int | None = None
    event_count: int = 0

    @property
    def campaign_id(self) -> str:
        return self.proposal.campaign_id

    @property
    def lineage(self) -> str:
        return self.proposal.lineage

    def metric(self, key: str, which: str = "ranked") -> float | None:
        """The value of goal metric `key` ("val/mae") a campaign ranks, or a stored one.

        `ranked` (the default) is the host's trusted number on the held-out test split for the
        metric `key` names (`ranked_key`); `best`/`final` are the run's own claims, `trusted`
        reads a trusted key as given. None if absent or non-finite."""
        if which == "ranked":
            return self.trusted.get(ranked_key(key))
        return {"best": self.best, "final": self.final, "trusted": self.trusted}[which].get(key)


def ranked_key(metric: str) -> str:
    """The trusted key a goal metric is ranked by: "val/mae" -> "test/mae" (host-held targets)."""
    return "test/" + metric.split("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class MonitorEventRecord:
    run_id: str
    seq: int
    step: int
    kind: str
    anomaly: str
    action: str
    evidence: Mapping[str, float | None]
    params: Mapping[str, float | None]


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    id: int
    proposal_id: int
    decision: str  # approved | rejected
    reviewer: str
    bundle_sha256: str | None
    decided_at: float


@dataclass(frozen=True, slots=True)
class EscalationRecord:
    id: int
    campaign_id: str
    from_tier: int
    to_tier: int
    reason: str
    evidence: Mapping[str, float | None]
    created_at: float


@dataclass(frozen=True, slots=True)
class StaleRun:
    """A `running` run nobody may be looking after: `cause` is "owner_dead" or "heartbeat".

    `owner_alive` is True/False for an owner on this host and None for one on another host.
    """

    run_id: str
    proposal_id: int
    campaign_id: str
    cause: str
    heartbeat_age_s: float
    owner_pid: int
    attempt: int
    owner_alive: bool | None


@dataclass(frozen=True, slots=True)
class Claim:
    """What `claim_next` hands the loop: the proposal (now `running`) and its new run row."""

    proposal: ProposalRecord
    run: RunRecord
