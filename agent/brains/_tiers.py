"""Do the tiers pay? Per tier: how many proposals ended, and how many beat the best so far.

Judged with the one ranking function the brains use (`CampaignView.value`: the store's recorded
goal metric of a completed run), so tier-2 variants and tier-3 architectures are measured by
exactly the number tier 1 is measured by. A run that gave no number never beats anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sentinel.agent.brains._search import CampaignView
from sentinel.agent.goals import GoalMetric

__all__ = ["TierScore", "tier_report", "tier_report_text"]


@dataclass(frozen=True, slots=True)
class TierScore:
    tier: int
    ended: int  # proposals of this tier whose run reached an end
    compared: int  # ... of those, ended while a best-so-far existed to compare with
    beat: int  # ... of those, improved on the best so far

    @property
    def rate(self) -> float | None:
        return self.beat / self.compared if self.compared else None


def tier_report(store: Any, campaign_id: str, metric: GoalMetric) -> tuple[TierScore, ...]:
    """One TierScore per tier that proposed anything, in proposal (= decision) order."""
    view = CampaignView.load(store, campaign_id, metric)
    counts: dict[int, list[int]] = {}
    best: float | None = None
    for proposal in view.proposals:
        if proposal.id not in view.finished:
            continue
        row = counts.setdefault(proposal.tier, [0, 0, 0])
        row[0] += 1
        value = view.value(proposal.id)
        if best is not None:
            row[1] += 1
            row[2] += int(value is not None and metric.better(value, best))
        if value is not None and (best is None or metric.better(value, best)):
            best = value
    return tuple(TierScore(t, *counts[t]) for t in sorted(counts))


def tier_report_text(scores: tuple[TierScore, ...]) -> str:
    parts = []
    for s in scores:
        rate = f"{s.rate:.0%}" if s.rate is not None else "n/a"
        parts.append(f"tier {s.tier}: {s.beat}/{s.compared} beat the best so far ({rate}; {s.ended} ended)")
    return "; ".join(parts) or "no run has ended yet"
