"""The loop's gates between a proposal and its run: validate, approve, and the check right before.

A proposal's config is composed and its generated files validated once (`check_config`) when
it is validated; the same `CheckedConfig` goes to the approval hook (the review bundle shows
it) and to the launch (the image bakes its bytes, labelled with its digest). Only a process
that did not validate the proposal itself (a resumed campaign) checks it again, and then
refuses the run unless the digest is the one the store recorded at validation: what runs is
always what was validated and approved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sentinel.agent.campaign.approval import ApprovalHook
from sentinel.agent.configs import CheckedConfig, check_config
from sentinel.agent.errors import BadInput, CampaignPaused
from sentinel.agent.store import FeedbackStore, ProposalRecord

__all__ = ["Gates", "Refusal"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a claimed run must not start, and the status its run is recorded with."""

    status: str  # rejected_by_reviewer | rejected_by_validator | failed
    reason: str  # Sentinel's own wording


class Gates:
    def __init__(
        self,
        store: FeedbackStore,
        approval: ApprovalHook,
        note: Callable[[str], None],
        configs_dir: Path,
        runs_dir: Path,
    ) -> None:
        self.store, self.approval, self.note = store, approval, note
        self.configs_dir, self.runs_dir = configs_dir, runs_dir
        # proposal id -> its one check in this process (a retried attempt runs the same bytes)
        self._checked: dict[int, CheckedConfig] = {}

    def validate(self, proposal: ProposalRecord) -> None:
        """proposed -> validated (with the config digest) or rejected_by_validator."""
        try:
            checked = self._check(proposal)
        except BadInput as err:
            self.store.record_validation(proposal.id, False, reason=str(err)[:400])
            self.note(f"proposal {proposal.seq} rejected: {err}")
            return
        reason = checked.rejection()
        if reason is not None:
            self.store.record_validation(proposal.id, False, reason=reason)
            self.note(f"proposal {proposal.seq}: {reason}")
            return
        self.store.record_validation(proposal.id, True, config_sha256=checked.sha256)
        self._checked[proposal.id] = checked

    def approve(self, proposal: ProposalRecord) -> None:
        """validated -> approved or rejected_by_reviewer; CampaignPaused when a person must decide."""
        try:
            checked: CheckedConfig | None = self.checked(proposal)
        except BadInput:
            checked = None  # it no longer composes: the hook decides on the proposal alone
        decision = self.approval.decide(proposal, checked)
        if decision is None:
            raise CampaignPaused(self.approval.pause_message(proposal))
        self.store.record_approval(
            proposal.id, decision.decision, decision.reviewer, bundle_sha256=decision.bundle_sha256
        )
        if decision.decision == "rejected":
            self.note(f"proposal {proposal.seq} rejected by {decision.reviewer}")

    def checked(self, proposal: ProposalRecord) -> CheckedConfig:
        """This process's check of `proposal`, made now when it validated in an earlier process.
        ConfigError when it no longer composes."""
        if proposal.id not in self._checked:
            self._checked[proposal.id] = self._check(proposal)
        return self._checked[proposal.id]

    def before_run(self, proposal: ProposalRecord) -> CheckedConfig | Refusal:
        """The checked config to launch, or why the claimed run must not start."""
        try:
            checked: CheckedConfig | None = self.checked(proposal)
        except BadInput as err:
            checked, broken = None, type(err).__name__
        refusal = self.approval.before_run(proposal, self.store.approvals(proposal.id), checked)
        if refusal:  # what was approved is no longer what would run
            return Refusal("rejected_by_reviewer", refusal)
        if checked is None:
            return Refusal("failed", f"the run could not start: {broken}")
        reason = checked.rejection()
        if reason is not None:
            return Refusal("rejected_by_validator", reason)
        if checked.sha256 != proposal.config_sha256:
            return Refusal(
                "rejected_by_validator",
                "the config that would run is not the one validated and approved "
                f"(validated {str(proposal.config_sha256)[:12]}, now {checked.sha256[:12]})",
            )
        return checked

    def _check(self, proposal: ProposalRecord) -> CheckedConfig:
        return check_config(
            proposal.experiment,
            proposal.override_args(),
            self.configs_dir,
            self.runs_dir / proposal.campaign_id,
        )
