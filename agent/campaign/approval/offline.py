"""Offline approval: a review bundle per proposal, a paused campaign, a decision on disk.

For each validated proposal the hook writes `<reviews>/<campaign>/<proposal id>/` (see
sentinel.agent.review.content) and pauses the campaign (exit 4). A person reads it with
`sentinel review show ID` and answers with `sentinel review approve|reject|modify ID`, which
writes decision.json naming the bundle digest. `sentinel campaign resume` then records that
decision in the store (with the digest, which also labels the run's image).

Right before the run, the hook rebuilds the bundle from the store and the loop's one check of
the config that would run, and compares three digests: the approved one, the folder's, and the
rebuilt one. Any difference
means that what was approved is not what is on disk or not what would run, and the run is
refused with Sentinel's reason (rejected_by_reviewer, never launched).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sentinel.agent.campaign.approval._base import ApprovalHook, Decision
from sentinel.agent.campaign.approval._modify import modify_proposal
from sentinel.agent.errors import BadInput
from sentinel.agent.review import (
    BundleInvalid,
    ReviewError,
    build_bundle,
    bundle_folder,
    folder_digest,
    read_decision,
    read_seal,
    write_bundle,
)
from sentinel.agent.store import ApprovalRecord, FeedbackStore, ProposalRecord

if TYPE_CHECKING:
    from sentinel.agent.configs import CheckedConfig

__all__ = ["OfflineApproval"]


class OfflineApproval(ApprovalHook):
    name = "offline"

    def __init__(
        self, store: FeedbackStore, configs_dir: Path, reviews_dir: Path, runs_dir: Path | None = None
    ) -> None:
        self.store, self.configs_dir, self.reviews_dir = store, Path(configs_dir), Path(reviews_dir)
        self.runs_dir = Path(runs_dir) if runs_dir is not None else None  # campaigns' generated entries
        self._waiting: dict[int, str] = {}  # proposal id -> why it waits (for pause_message)

    def folder(self, proposal: ProposalRecord) -> Path:
        return bundle_folder(self.reviews_dir, proposal.campaign_id, proposal.id)

    def decide(self, proposal: ProposalRecord, checked: CheckedConfig | None) -> Decision | None:
        """The decision recorded in the bundle folder, or None after (re)writing the bundle.

        A folder without a decision is rewritten whenever it no longer matches the proposal
        (edited, damaged, or its configs changed): a person must review the truth. A folder
        with a decision is never touched: it is the evidence of what was decided.
        """
        folder = self.folder(proposal)
        try:
            decision = read_decision(folder)
        except BundleInvalid as err:
            why = f"has an unreadable decision ({err.detail}); delete decision.json and decide again"
            self._waiting[proposal.id] = why
            return None
        if decision is None:
            bundle = build_bundle(proposal, self.configs_dir, self._root(proposal), checked)
            if _digest_or_none(folder) != bundle.sha256 or read_seal(folder) != bundle.sha256:
                write_bundle(folder, bundle)
            self._waiting[proposal.id] = "waits for review"
            return None
        if decision.decision == "modified":
            modify_proposal(self.store, proposal, decision.overrides, decision.reviewer)
            return Decision("rejected", decision.reviewer, decision.bundle_sha256)
        return Decision(decision.decision, decision.reviewer, decision.bundle_sha256)

    def _root(self, proposal: ProposalRecord) -> Path | None:
        return self.runs_dir / proposal.campaign_id if self.runs_dir is not None else None

    def pause_message(self, proposal: ProposalRecord) -> str:
        why = self._waiting.get(proposal.id, "waits for review")
        ref = proposal.id
        return (
            f"proposal {proposal.seq} {why}: bundle {self.folder(proposal)}; "
            f"`sentinel review show {ref}`, then `sentinel review approve {ref} --reviewer NAME` "
            f"(or reject/modify), then `sentinel campaign resume {proposal.campaign_id}`"
        )

    def before_run(
        self, proposal: ProposalRecord, approvals: Sequence[ApprovalRecord], checked: CheckedConfig | None
    ) -> str | None:
        approved = approvals[-1] if approvals else None
        if approved is None or approved.decision != "approved":
            return "no approval is recorded for this proposal"
        if approved.bundle_sha256 is None:
            return "the approval names no review bundle, so there is nothing it approved"
        folder = self.folder(proposal)
        try:
            on_disk = folder_digest(folder)
        except ReviewError as err:
            return f"the review bundle approved by {approved.reviewer} cannot be verified: {err}"
        if on_disk != approved.bundle_sha256:
            return (
                f"the review bundle changed after {approved.reviewer} approved it "
                f"(approved {approved.bundle_sha256[:12]}, now {on_disk[:12]})"
            )
        try:
            rebuilt = build_bundle(proposal, self.configs_dir, self._root(proposal), checked).sha256
        except BadInput as err:
            return f"the approved proposal no longer composes: {err}"
        if rebuilt != approved.bundle_sha256:
            return (
                "the config or model code that would run differs from the bundle "
                f"{approved.reviewer} approved (approved {approved.bundle_sha256[:12]}, now {rebuilt[:12]})"
            )
        return None


def _digest_or_none(folder: Path) -> str | None:
    try:
        return folder_digest(folder)
    except ReviewError:
        return None
