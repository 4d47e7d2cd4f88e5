"""The loop's propose step: assess the campaign, escalate a tier on new evidence, ask the brain.

Every escalation is committed to the store before the brain is asked, and a proposal is
committed before the loop moves it on, so a resumed campaign asks the same question again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sentinel.agent.brains._base import Brain, CampaignContext
from sentinel.agent.drift import assess_campaign
from sentinel.agent.goals import CampaignGoal
from sentinel.agent.store import FeedbackStore

__all__ = ["MAX_PROPOSALS_PER_RUN", "Proposer"]

MAX_PROPOSALS_PER_RUN = 3  # rejected proposals cost no compute, but a loop of them must end


class Proposer:
    """Asks the brain for the next proposal and records it; `stop_reason` is set when an
    evidenced stop the goal opted into (stop_on_stagnation) ends the campaign instead."""

    def __init__(
        self,
        store: FeedbackStore,
        brain: Brain,
        note: Callable[[str], None],
        configs_dir: Path,
        runs_dir: Path,
    ) -> None:
        self.store, self.brain, self.note = store, brain, note
        self.configs_dir, self.runs_dir = configs_dir, runs_dir
        self.stop_reason = ""

    def propose(self, campaign_id: str, goal: CampaignGoal, in_flight: int) -> bool:
        """True when a new proposal was recorded; False when the brain has nothing more."""
        total = len(self.store.proposals(campaign_id))
        if total >= goal.budget.runs * MAX_PROPOSALS_PER_RUN:
            return False
        campaign = self.store.get_campaign(campaign_id)
        recommendation = assess_campaign(self.store, campaign_id)
        # Drift's "stop" ends a campaign early only when the goal asked for it: a budget is spent.
        if recommendation.action == "stop" and goal.stop_on_stagnation and not in_flight:
            shown = ", ".join(f"{k}={v:.4g}" for k, v in recommendation.evidence.items())
            self.stop_reason = f"stop_on_stagnation: {recommendation.reason} ({shown})"
            return False
        max_tier = self.max_tier(goal)
        if (
            recommendation.action == "escalate"
            and recommendation.to_tier
            and campaign.tier < recommendation.to_tier <= max_tier
            and self._new_evidence_since_escalation(campaign_id)
        ):
            evidence = {k: v for k, v in recommendation.evidence.items() if isinstance(v, int | float)}
            self.store.record_escalation(
                campaign_id, recommendation.to_tier, recommendation.reason, evidence, from_tier=campaign.tier
            )
            self.note(f"escalated to tier {recommendation.to_tier}: {recommendation.reason}")
            campaign = self.store.get_campaign(campaign_id)
        ctx = CampaignContext(
            campaign_id=campaign_id,
            goal=goal,
            store=self.store,
            configs_dir=self.configs_dir,
            seed=campaign.seed,
            tier=campaign.tier,
            recommendation=recommendation,
            extra={"in_flight": in_flight},
            generated_root=self.runs_dir / campaign_id,
        )
        proposal = self.brain.propose(ctx)
        while proposal is None and ctx.tier < max_tier:
            ctx = self._escalate_exhausted(ctx)
            proposal = self.brain.propose(ctx)
        if proposal is None:
            return False
        record = self.store.add_proposal(
            campaign_id,
            tier=min(proposal.tier, ctx.tier),
            brain=self.brain.name,
            overrides=dict(proposal.overrides),
            rationale=proposal.rationale,
            experiment=proposal.experiment,
            model_ref=proposal.model_ref,
            parent_id=proposal.parent_id,
        )
        self.note(f"proposal {record.seq} (tier {record.tier}): {record.rationale}")
        return True

    def max_tier(self, goal: CampaignGoal) -> int:
        """The goal's max_tier, capped by what the brain can do: a tier-1-only brain is never
        escalated to tiers it does not have (the bench's plain baselines are such brains)."""
        return min(goal.max_tier, getattr(self.brain, "max_tier", goal.max_tier))

    def _escalate_exhausted(self, ctx: CampaignContext) -> CampaignContext:
        """The brain has nothing left at this tier: climb one tier instead of finishing early."""
        reason = f"the brain found nothing more worth running at tier {ctx.tier}"
        self.store.record_escalation(
            ctx.campaign_id, ctx.tier + 1, reason, {"tier": ctx.tier}, from_tier=ctx.tier
        )
        self.note(f"escalated to tier {ctx.tier + 1}: {reason}")
        recommendation = ctx.recommendation
        if recommendation is not None:
            recommendation = replace(recommendation, action="escalate", reason=reason, to_tier=ctx.tier + 1)
        return replace(ctx, tier=ctx.tier + 1, recommendation=recommendation)

    def _new_evidence_since_escalation(self, campaign_id: str) -> bool:
        """Escalate at most once per new result: a crash between an escalation and the proposal
        it was for must not make the resumed loop climb another tier on the same evidence."""
        escalations = self.store.escalations(campaign_id)
        if not escalations:
            return True
        ended = [r.finished_at for r in self.store.history(campaign_id) if r.finished_at is not None]
        return bool(ended) and max(ended) > escalations[-1].created_at
