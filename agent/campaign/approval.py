"""Approval hooks: the human (or policy) gate between a validated proposal and its run.

Every brain's proposals pass the same hook. A hook sees only Sentinel's own records (the
proposal, its validated config digest), never text a run wrote.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from sentinel.agent.store import ProposalRecord

DECISIONS = frozenset({"approved", "rejected"})


@dataclass(frozen=True, slots=True)
class Decision:
    decision: str  # approved | rejected
    reviewer: str  # "auto", a policy name or a person
    bundle_sha256: str | None = None

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {sorted(DECISIONS)}, got {self.decision!r}")


class ApprovalHook(ABC):
    name: str = "hook"

    @abstractmethod
    def decide(self, proposal: ProposalRecord) -> Decision | None:
        """A decision now, or None to pause the campaign until one is recorded elsewhere."""


class AutoApproval(ApprovalHook):
    """Approves everything that passed validation: for unattended campaigns."""

    name = "auto"

    def decide(self, proposal: ProposalRecord) -> Decision:
        return Decision("approved", "auto")


class CallbackApproval(ApprovalHook):
    """A Python policy: `policy(proposal) -> bool`; its name is recorded as the reviewer."""

    def __init__(self, policy: Callable[[ProposalRecord], bool], name: str = "policy") -> None:
        self._policy, self.name = policy, name

    def decide(self, proposal: ProposalRecord) -> Decision:
        return Decision("approved" if self._policy(proposal) else "rejected", self.name)
