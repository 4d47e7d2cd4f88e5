"""What the campaign loop tells the world: live events while it runs, and its outcome at the end."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sentinel.agent.store import Claim, RunRecord

__all__ = ["CampaignOutcome", "LoopEvents", "QuietEvents"]


class LoopEvents(Protocol):
    """What a live view (or a log) hears from the loop; all wording is Sentinel's own."""

    def note(self, message: str) -> None: ...

    def run_started(self, claim: Claim, config: dict[str, Any] | None) -> None: ...

    def run_progress(self, run_id: str, artifacts_dir: Path, config: dict[str, Any]) -> None: ...

    def run_finished(self, run: RunRecord, best: RunRecord | None) -> None: ...


class QuietEvents:
    def note(self, message: str) -> None:
        return None

    def run_started(self, claim: Claim, config: dict[str, Any] | None) -> None:
        return None

    def run_progress(self, run_id: str, artifacts_dir: Path, config: dict[str, Any]) -> None:
        return None

    def run_finished(self, run: RunRecord, best: RunRecord | None) -> None:
        return None


@dataclass(frozen=True, slots=True)
class CampaignOutcome:
    campaign_id: str
    state: str  # finished | paused | failed | no_proposal (the brain proposed nothing at all)
    reason: str
    runs: int
    best_run: str | None
    best_value: float | None
    metric: str
    folder: Path

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id,
            "state": self.state,
            "reason": self.reason,
            "runs": self.runs,
            "best_run": self.best_run,
            "best_value": self.best_value,
            "metric": self.metric,
            "folder": str(self.folder),
        }
