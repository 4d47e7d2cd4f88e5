"""Learning across campaigns: earlier campaigns' trials of the same experiment and search space.

The FeedbackStore keeps every run of every campaign. A new campaign whose goal asks the same
question (same experiment, same metric and direction, same search space) starts from what the
earlier ones measured: their completed tier-1 points become COMPLETE trials of its study (so
TPE's model starts informed, no random start is spent), and its first proposal is their best
point rather than the experiment's defaults. Only campaigns created before this one count, so a
resumed campaign sees the same prior as when it started (the brain stays deterministic).

Values are read with the one ranking function the brains use (`CampaignView.value`, i.e. the
store's recorded goal metric), never recomputed from run files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sentinel.agent.brains import _search as search
from sentinel.agent.goals import GoalMetric

__all__ = ["MAX_PRIOR_TRIALS", "Prior", "load_prior"]

MAX_PRIOR_TRIALS = 200  # newest first: enough to inform TPE, bounded so a big store stays fast


@dataclass(frozen=True, slots=True)
class Prior:
    """Completed points of earlier campaigns: (params, value, campaign id, proposal seq)."""

    points: tuple[tuple[dict[str, search.Scalar], float, str, int], ...]

    @property
    def campaigns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for _, _, c, _ in self.points))

    def best(self, mode: str) -> tuple[dict[str, search.Scalar], float, str, int] | None:
        if not self.points:
            return None
        return min(self.points, key=lambda p: p[1] if mode == "min" else -p[1])


def _same_question(mine: Any, theirs: Any) -> bool:
    keys = ("experiment", "metric", "search_space")
    return all(mine.get(k) == theirs.get(k) for k in keys)


def load_prior(store: Any, campaign_id: str, space: search.SearchSpace, resolver: search.Resolver) -> Prior:
    """Earlier campaigns' completed points in this campaign's space (tier-1 values only)."""
    own = store.get_campaign(campaign_id)
    points: list[tuple[dict[str, search.Scalar], float, str, int]] = []
    for other in store.list_campaigns():  # newest first
        if other.id == own.id or other.created_at >= own.created_at:
            continue
        if not _same_question(dict(own.goal), dict(other.goal)):
            continue
        metric = GoalMetric(**dict(other.goal)["metric"])
        view = search.CampaignView.load(store, other.id, metric)
        for proposal in view.proposals:
            value = view.value(proposal.id)
            if value is None or proposal.tier != 1:
                continue  # tier-2/3 entries belong to that campaign's own folder
            params = space.params(proposal.overrides, resolver)
            if params:
                points.append((params, value, other.id, proposal.seq))
        if len(points) >= MAX_PRIOR_TRIALS:
            break
    return Prior(tuple(points[:MAX_PRIOR_TRIALS]))
