"""The approval contract: the human (or policy) gate between a validated proposal and its run.

Every brain's proposals pass the same hook. A hook sees only Sentinel's own records (the
proposal, its validated config digest, the store's numbers), never text a run wrote.

The loop calls, in order: `decide` when a proposal is validated (None pauses the campaign
with `pause_message`), then `before_run` right before the approved proposal's container is
built, which may still refuse it (the run is then recorded as rejected_by_reviewer with the
returned reason and never launched). Both receive the loop's one `CheckedConfig` of the
proposal (its config composed once, its generated files validated once), the very config
that would run, or None when it no longer composes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sentinel.agent.store import ApprovalRecord, ProposalRecord

if TYPE_CHECKING:
    from sentinel.agent.configs import CheckedConfig

__all__ = ["DECISIONS", "ApprovalHook", "AutoApproval", "Decision"]

DECISIONS = frozenset({"approved", "rejected"})


@dataclass(frozen=True, slots=True)
class Decision:
    decision: str  # approved | rejected
    reviewer: str  # "auto", a policy name or a person
    bundle_sha256: str | None = None  # the offline review bundle the decision was made on

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {sorted(DECISIONS)}, got {self.decision!r}")


class ApprovalHook(ABC):
    """`name` is the reviewer recorded for the hook's own decisions; `mode` is what the campaign
    records as its approval mode, so `campaign resume` can rebuild the same kind of hook."""

    name: str = "hook"

    @property
    def mode(self) -> str:
        return self.name

    @abstractmethod
    def decide(self, proposal: ProposalRecord, checked: CheckedConfig | None) -> Decision | None:
        """A decision now, or None to pause the campaign until one is recorded elsewhere."""

    def pause_message(self, proposal: ProposalRecord) -> str:
        """What the person reads when `decide` returned None: how to decide, then resume."""
        return f"proposal {proposal.seq} waits for review; record a decision, then resume"

    def before_run(
        self, proposal: ProposalRecord, approvals: Sequence[ApprovalRecord], checked: CheckedConfig | None
    ) -> str | None:
        """Sentinel's reason to refuse an approved proposal right before it runs, or None.

        Called after the proposal is claimed, so anything a decision rests on that may have
        changed since (a review bundle) is checked as late as possible.
        """
        return None


class AutoApproval(ApprovalHook):
    """Approves everything that passed validation: for unattended campaigns."""

    name = "auto"

    def decide(self, proposal: ProposalRecord, checked: CheckedConfig | None) -> Decision:
        return Decision("approved", "auto")
