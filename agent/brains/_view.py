"""The strategist's view of a campaign: its proposals, the finished run of each, the goal metric.

Rebuilt from the store on every call (nothing is kept between calls), so a resumed campaign
sees exactly what an uninterrupted one would.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sentinel.agent.goals import GoalMetric
from sentinel.agent.store import ProposalRecord, RunRecord

__all__ = ["STALL_PATIENCE", "CampaignView", "Scalar"]

STALL_PATIENCE = 4  # "Optuna stagnates": no new best in this many finished proposals
Scalar = str | int | float | bool


@dataclass(frozen=True, slots=True)
class CampaignView:
    """The proposals so far with the finished run of each (if any), and goal-metric helpers."""

    proposals: tuple[ProposalRecord, ...]
    finished: Mapping[int, RunRecord]
    metric: GoalMetric

    @classmethod
    def load(cls, store: Any, campaign_id: str, metric: GoalMetric) -> CampaignView:
        runs = {run.proposal.id: run for run in store.history(campaign_id)}
        return cls(tuple(store.proposals(campaign_id)), runs, metric)

    def value(self, proposal_id: int) -> float | None:
        """The goal metric of a completed run (rescued ones included); None for every other end."""
        run = self.finished.get(proposal_id)
        if run is None or run.status != "completed":
            return None
        value = run.metric(self.metric.name)
        return value if value is not None and math.isfinite(value) else None

    def best(self) -> tuple[ProposalRecord, float] | None:
        found = [(p, v) for p in self.proposals if (v := self.value(p.id)) is not None]
        if not found:
            return None
        return min(found, key=lambda pv: pv[1] if self.metric.mode == "min" else -pv[1])

    def pending(self) -> list[ProposalRecord]:
        return [p for p in self.proposals if p.id not in self.finished]

    def stalled(self, patience: int = STALL_PATIENCE) -> int:
        """Finished proposals since the last new best when that is at least `patience`, else 0."""
        done = [p for p in self.proposals if p.id in self.finished]
        best: float | None = None
        since = 0
        for p in done:
            value = self.value(p.id)
            if value is not None and (best is None or self.metric.better(value, best)):
                best, since = value, 0
            else:
                since += 1
        return since if best is not None and since >= patience else 0

    def counts(self) -> dict[str, int]:
        out = {"completed": 0, "failed": 0, "pending": len(self.pending()), "rescued": 0}
        for run in self.finished.values():
            out["completed" if run.status == "completed" else "failed"] += 1
            out["rescued"] += int(run.status == "completed" and run.event_count > 0)
        return out
