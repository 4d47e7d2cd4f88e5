"""A campaign spends its budget: it ends early only at its target, on an evidenced stop the goal
opted into, or when the brain has truly nothing left; and it never climbs past the brain's tiers.
Real store, real loop, the launcher faked at the transport seam (_approval_support)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import pytest
from _approval_support import ArtifactLauncher, goal, no_engine, runner

from sentinel.agent.brains._base import Brain, CampaignContext, Proposal
from sentinel.agent.brains._tiers import tier_report, tier_report_text
from sentinel.agent.campaign import AutoApproval
from sentinel.agent.errors import BadInput
from sentinel.agent.store import FeedbackStore


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    no_engine(monkeypatch)


class SameBrain(Brain):
    """Always the same learning rate at a new seed offset: a campaign that stagnates at once."""

    name: ClassVar[str] = "same"

    def propose(self, ctx: CampaignContext) -> Proposal | None:
        n = len(ctx.store.proposals(ctx.campaign_id))
        return Proposal(1, {"trainer.lr": 0.01, "trainer.weight_decay": 1e-6 * (n + 1)}, f"repeat {n}")


class NothingBrain(Brain):
    name: ClassVar[str] = "nothing"

    def propose(self, ctx: CampaignContext) -> Proposal | None:
        return None


class TierOneBrain(Brain):
    """Two proposals, then nothing; declares it has no tier beyond 1."""

    name: ClassVar[str] = "tier1only"
    max_tier: ClassVar[int] = 1

    def propose(self, ctx: CampaignContext) -> Proposal | None:
        n = len(ctx.store.proposals(ctx.campaign_id))
        return Proposal(1, {"trainer.lr": [0.01, 0.02][n]}, "one of two") if n < 2 else None


def test_a_stagnating_campaign_still_spends_its_whole_budget(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    out = runner(store, AutoApproval(), tmp_path / "runs", ArtifactLauncher(), SameBrain()).start(goal(8), 0)
    assert out.state == "finished" and out.runs == 8
    assert out.reason == "the budget of 8 runs is spent"


def test_stop_on_stagnation_is_honoured_only_when_the_goal_asks_with_its_evidence(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    opted = replace(goal(8), stop_on_stagnation=True)
    out = runner(store, AutoApproval(), tmp_path / "runs", ArtifactLauncher(), SameBrain()).start(opted, 0)
    assert out.state == "finished" and out.runs < 8
    assert out.reason.startswith("stop_on_stagnation: ")
    assert "gain=" in out.reason and "runs_used=" in out.reason  # the evidence, stated


def test_a_brain_that_proposes_nothing_at_all_is_its_own_outcome(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    launcher = ArtifactLauncher()
    out = runner(store, AutoApproval(), tmp_path / "runs", launcher, NothingBrain()).start(goal(3), 0)
    assert out.state == "no_proposal" and out.reason == "the brain made no proposal at all"
    assert store.get_campaign(out.campaign_id).state == "failed" and launcher.calls == []


def test_a_tier_one_brain_is_never_escalated_to_tiers_it_does_not_have(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    wide = replace(goal(5), max_tier=3)
    out = runner(store, AutoApproval(), tmp_path / "runs", ArtifactLauncher(), TierOneBrain()).start(wide, 0)
    assert out.state == "finished" and out.runs == 2  # its space is truly exhausted
    assert store.escalations(out.campaign_id) == [] and store.get_campaign(out.campaign_id).tier == 1


def test_start_tier_is_recorded_as_an_escalation_and_bounded_by_max_tier(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    run = runner(store, AutoApproval(), tmp_path / "runs", ArtifactLauncher(), SameBrain())
    with pytest.raises(BadInput, match=r"--start-tier must be in 1\.\.1"):
        run.start(goal(1), 0, start_tier=2)
    assert store.list_campaigns() == []  # nothing written
    out = run.start(replace(goal(1), max_tier=3), 0, start_tier=2)
    [up] = store.escalations(out.campaign_id)
    assert (up.from_tier, up.to_tier) == (1, 2) and "asked to start at tier 2" in up.reason


def test_per_tier_report_counts_proposals_that_beat_the_best_so_far(tmp_path: Path) -> None:
    class Ladder(Brain):
        name: ClassVar[str] = "ladder"

        def propose(self, ctx: CampaignContext) -> Proposal | None:
            n = len(ctx.store.proposals(ctx.campaign_id))
            return Proposal(1, {"trainer.lr": [0.03, 0.02, 0.04, 0.01][n]}, "ladder") if n < 4 else None

    store = FeedbackStore(tmp_path / "f.db")
    out = runner(store, AutoApproval(), tmp_path / "runs", ArtifactLauncher(), Ladder()).start(goal(4), 0)
    metric = replace(goal(), budget=goal().budget).metric
    [tier1] = tier_report(store, out.campaign_id, metric)
    # acc falls with |lr - 0.01|: 0.03 (first), 0.02 beats it, 0.04 does not, 0.01 beats it
    assert (tier1.tier, tier1.ended, tier1.compared, tier1.beat) == (1, 4, 3, 2)
    assert tier_report_text((tier1,)) == "tier 1: 2/3 beat the best so far (67%; 4 ended)"
