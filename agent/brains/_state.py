"""What one strategist call knows, rebuilt from the store, and the small judgements on it.

`State` is built fresh by every `propose` and dropped after it: it is the reason the brain can
be resumed after a crash. Its helpers answer questions the moves share (which models have run,
what tier a set of overrides needs, which entry a proposal used), in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from optuna.distributions import FloatDistribution

from sentinel.agent.brains import _search as search
from sentinel.agent.brains._base import CampaignContext
from sentinel.agent.configs import load_entry
from sentinel.agent.drift import Recommendation
from sentinel.agent.errors import BadInput
from sentinel.agent.goals import Choices
from sentinel.agent.store import ProposalRecord
from sentinel.contract.registry import DATASET_TASKS, GENERATED_TARGET, SUPERVISED

__all__ = ["NEVER_RAN", "STAGNATION", "State", "fmt", "overrides_text"]

STAGNATION = frozenset({"stagnation", "lineage_stagnation"})
NEVER_RAN = frozenset({"rejected_by_validator", "rejected_by_reviewer"})
LR_BOUNDS = (1.0e-8, 10.0)  # the registry's bounds for trainer.lr
Scalar = search.Scalar


@dataclass(frozen=True, slots=True)
class State:
    ctx: CampaignContext
    view: search.CampaignView
    resolver: search.Resolver
    space: search.SearchSpace
    rec: Recommendation

    @property
    def metric(self) -> str:
        return self.ctx.goal.metric.name

    def best_text(self) -> str:
        best = self.view.best()
        if best is None:
            return "nothing has completed yet"
        return f"the best so far is #{best[0].seq} with {self.metric}={best[1]:.4g}"

    def entry_tier(self, overrides: dict[str, Scalar]) -> int:
        """The tier a set of overrides needs: 2 or 3 when it picks an entry those tiers wrote."""
        return max([1, *(self.space.entry_tiers.get(str(v), 1) for v in overrides.values())])

    def model_ref(self, overrides: dict[str, Scalar]) -> str | None:
        model = overrides.get("model")
        return str(model) if isinstance(model, str) and self.space.entry_tiers.get(model) == 3 else None

    def best_of(self, proposals: list[ProposalRecord]) -> ProposalRecord | None:
        valued = [(p, v) for p in proposals if (v := self.view.value(p.id)) is not None]
        if not valued:
            return None
        return min(valued, key=lambda pv: pv[1] if self.ctx.goal.metric.mode == "min" else -pv[1])[0]

    def clamp_lr(self, lr: float) -> float:
        """Three significant digits, inside the search range when trainer.lr is searched."""
        dist = dict(self.space.dims).get("trainer.lr")
        value = float(f"{lr:.3g}")
        if isinstance(dist, FloatDistribution):
            value = min(max(value, dist.low), dist.high)
        return min(max(value, LR_BOUNDS[0]), LR_BOUNDS[1])

    def point(self, overrides: dict[str, Scalar]) -> tuple[tuple[str, Scalar], ...]:
        return search.point_key(self.space.params(overrides, self.resolver))

    def tried_points(self) -> set[tuple[tuple[str, Scalar], ...]]:
        return {self.point(dict(p.overrides)) for p in self.view.proposals}

    # models --------------------------------------------------------------------------------
    def known_models(self) -> list[str]:
        """The goal's model choices, or the experiment's own model when it searches none."""
        dim = dict(self.ctx.goal.search_space).get("model")
        if isinstance(dim, Choices):
            return [str(v) for v in dim.values]
        default = self.resolver.defaults.get("model")
        return [default] if default else []

    def model_of(self, proposal: ProposalRecord) -> str | None:
        return self.resolver.picks(proposal.overrides).get("model")

    def untried_models(self) -> list[str]:
        """Known models with neither a run that actually trained nor a proposal in flight."""
        ran = {self.model_of(r.proposal) for r in self.view.finished.values() if r.status not in NEVER_RAN}
        pending = {self.model_of(p) for p in self.view.pending()}
        return [m for m in self.known_models() if m not in ran and m not in pending]

    def model_results(self) -> str:
        """`model best-value` for each known model, in the goal's order."""
        pick = min if self.ctx.goal.metric.mode == "min" else max
        parts = []
        for model in self.known_models():
            mine = [p for p in self.view.proposals if self.model_of(p) == model]
            values = [v for p in mine if (v := self.view.value(p.id)) is not None]
            parts.append(f"{model} {fmt(pick(values) if values else None)}")
        return ", ".join(parts)

    def supervised(self) -> bool:
        config = self.resolver.config({})
        return config is not None and DATASET_TASKS.get(config["dataset"]["name"]) in SUPERVISED

    def entry(self, group: str, name: str | None) -> dict[str, Any] | None:
        if name is None:
            return None
        try:
            return load_entry(self.ctx.configs_dir, group, name, self.ctx.generated_root)
        except BadInput:
            return None

    def generated(self, group: str, name: str) -> bool:
        entry = self.entry(group, name) or {}
        return bool(GENERATED_TARGET.match(str(entry.get("_target_"))))


def overrides_text(overrides: dict[str, Scalar]) -> str:
    keys = sorted(overrides, key=lambda k: ("." in k, k))
    return " ".join(f"{k}={fmt(overrides[k])}" for k in keys) or "(defaults)"


def fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "n/a"
    return "n/a" if value is None else str(value)
