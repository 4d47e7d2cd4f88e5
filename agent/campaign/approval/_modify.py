"""A person's modification of a proposal, recorded without bending the store's state machine.

A proposal's overrides are immutable once recorded (its config digest, its bundle and its run
all refer to them), so a modification is two honest records: the original is rejected by the
reviewer, and a new proposal by brain "human" takes its place, with the original as parent
(same lineage, so drift still compares the two) and a rationale that says who changed what.
The new proposal is validated like any other before it can be approved.
"""

from __future__ import annotations

from collections.abc import Mapping

from sentinel.agent.store import FeedbackStore, ProposalRecord

__all__ = ["HUMAN_BRAIN", "modify_proposal"]

HUMAN_BRAIN = "human"
MAX_RATIONALE = 4000
Scalar = str | int | float | bool


def modify_proposal(
    store: FeedbackStore, original: ProposalRecord, overrides: Mapping[str, Scalar], reviewer: str
) -> ProposalRecord:
    """The replacement proposal for `original` with `overrides` (its full new set).

    Idempotent: if a process died after adding the replacement but before the original's
    rejection was recorded, asking again returns the replacement added then, not a second one.
    """
    wanted = dict(overrides)
    for existing in store.proposals(original.campaign_id):
        if (
            existing.parent_id == original.id
            and existing.brain == HUMAN_BRAIN
            and dict(existing.overrides) == wanted
        ):
            return existing
    rationale = (
        f"modified by {reviewer} from proposal {original.seq}: {_changes(original.overrides, wanted)}. "
        f"Original rationale ({original.brain}): {original.rationale}"
    )
    campaign = store.get_campaign(original.campaign_id)
    same_model = wanted.get("model") == original.overrides.get("model")
    return store.add_proposal(
        original.campaign_id,
        tier=min(original.tier, campaign.tier),
        brain=HUMAN_BRAIN,
        overrides=wanted,
        rationale=rationale[:MAX_RATIONALE],
        experiment=original.experiment,
        model_ref=original.model_ref if same_model else None,
        parent_id=original.id,
    )


def _changes(before: Mapping[str, Scalar], after: Mapping[str, Scalar]) -> str:
    parts = [
        f"{key} {before[key]!r} -> {after[key]!r}" if key in before else f"{key} set to {after[key]!r}"
        for key in sorted(after)
        if before.get(key, object()) != after[key] or key not in before
    ]
    parts += [f"{key} dropped" for key in sorted(before) if key not in after]
    return ", ".join(parts) or "no change"
