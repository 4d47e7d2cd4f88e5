"""The brain contract: given the campaign so far, propose the next run (or nothing).

A brain never launches, validates or approves anything: the campaign loop does, with the
same gates for every brain. A brain must be deterministic given the campaign's seed and the
store's history, because after a crash `campaign resume` asks it again and must get a
proposal consistent with what was already recorded (no hidden in-memory state).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from sentinel.agent.drift import Recommendation
    from sentinel.agent.goals import CampaignGoal
    from sentinel.agent.store import FeedbackStore

Scalar = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Proposal:
    """One proposed run. `overrides` holds group picks ("model": "cnn1d") and dotted keys
    ("trainer.lr": 0.003); `model_ref` names a generated model registered under the
    campaign's generated/models folder (tier 3); `rationale` is the brain's own wording."""

    tier: int
    overrides: Mapping[str, Scalar]
    rationale: str
    experiment: str | None = None  # None: the goal's experiment
    model_ref: str | None = None
    parent_id: int | None = None  # proposal this derives from: drift is judged within a lineage


@dataclass(frozen=True, slots=True)
class CampaignContext:
    """What a brain may look at. `tier` is the campaign's current (maximum allowed) tier."""

    campaign_id: str
    goal: CampaignGoal
    store: FeedbackStore
    configs_dir: Path
    seed: int
    tier: int
    recommendation: Recommendation | None = None
    extra: Mapping[str, Scalar] = field(default_factory=dict)
    # This campaign's own folder for agent-written entries (`<root>/generated/...`, under the runs
    # folder): tools write and list generated configs and models there and nowhere else.
    generated_root: Path | None = None


class Brain(ABC):
    name: ClassVar[str]
    max_tier: ClassVar[int] = 3  # the highest tier this brain can act at; the loop never escalates past it

    @abstractmethod
    def propose(self, ctx: CampaignContext) -> Proposal | None:
        """The next run to try, or None when the brain has nothing worth running."""
