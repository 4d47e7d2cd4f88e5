"""The campaign engine: the crash-safe propose -> validate -> approve -> run -> record loop."""

from sentinel.agent.campaign.approval import ApprovalHook, AutoApproval, Decision
from sentinel.agent.campaign.events import CampaignOutcome, LoopEvents
from sentinel.agent.campaign.loop import CampaignRunner

__all__ = ["ApprovalHook", "AutoApproval", "CampaignOutcome", "CampaignRunner", "Decision", "LoopEvents"]
