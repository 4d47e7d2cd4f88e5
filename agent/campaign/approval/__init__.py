"""Approval hooks: the human (or policy) gate between a validated proposal and its run.

`auto` approves, `callback` asks your Python policy, `terminal` asks the person at the
terminal, `offline` writes a review bundle and pauses the campaign until `sentinel review`
records a decision. See `_base.py` for the contract and docs/approval.md for the flows.
"""

from sentinel.agent.campaign.approval._base import DECISIONS, ApprovalHook, AutoApproval, Decision
from sentinel.agent.campaign.approval._modify import HUMAN_BRAIN, modify_proposal
from sentinel.agent.campaign.approval.callback import CallbackApproval, load_policy
from sentinel.agent.campaign.approval.factory import APPROVAL_MODES, make_hook, mode_of
from sentinel.agent.campaign.approval.offline import OfflineApproval
from sentinel.agent.campaign.approval.terminal import TerminalApproval, default_reviewer

__all__ = [
    "APPROVAL_MODES",
    "DECISIONS",
    "HUMAN_BRAIN",
    "ApprovalHook",
    "AutoApproval",
    "CallbackApproval",
    "Decision",
    "OfflineApproval",
    "TerminalApproval",
    "default_reviewer",
    "load_policy",
    "make_hook",
    "mode_of",
    "modify_proposal",
]
