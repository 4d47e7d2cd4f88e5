"""The tier-1 search space as Optuna distributions: the goal's dims plus entries tiers 2/3 introduced."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from sentinel.agent.brains._resolver import Resolver
from sentinel.agent.brains._view import CampaignView, Scalar
from sentinel.agent.goals import CHOICE_GROUPS, Choices, Range

__all__ = ["SearchSpace", "contains", "inside"]


@dataclass(frozen=True, slots=True)
class SearchSpace:
    """Ordered dims: the goal's, plus group choices the campaign has introduced (tier 2/3 entries)."""

    dims: tuple[tuple[str, BaseDistribution], ...]
    entry_tiers: Mapping[str, int] = field(default_factory=dict)  # generated entry -> tier it needs

    @classmethod
    def build(cls, goal: Any, view: CampaignView, resolver: Resolver, tier: int) -> SearchSpace:
        dims: dict[str, BaseDistribution] = {}
        for key, dim in goal.search_space:
            if isinstance(dim, Range):
                if dim.integer:
                    dims[key] = IntDistribution(int(dim.low), int(dim.high), log=dim.log)
                else:
                    dims[key] = FloatDistribution(dim.low, dim.high, log=dim.log)
            elif isinstance(dim, Choices):
                dims[key] = CategoricalDistribution(dim.values)
        tiers: dict[str, int] = {}
        for p in view.proposals:  # entries introduced by tier-2/3 proposals, in first-use order
            for group in CHOICE_GROUPS:
                entry = p.overrides.get(group)
                if p.tier >= 2 and isinstance(entry, str) and p.tier <= tier:
                    tiers.setdefault(entry, p.tier)
        for group in CHOICE_GROUPS:
            new = [e for p in view.proposals if isinstance(e := p.overrides.get(group), str) and e in tiers]
            if not new:
                continue
            base = list(dims[group].choices) if group in dims else [resolver.defaults.get(group)]
            choices = [c for c in dict.fromkeys([*base, *new]) if c is not None]
            dims[group] = CategoricalDistribution(choices)
        return cls(tuple(dims.items()), tiers)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.dims)

    def params(self, overrides: Mapping[str, Scalar], resolver: Resolver) -> dict[str, Scalar]:
        """The proposal's point in this space: dims that apply and hold a value inside the range."""
        out: dict[str, Scalar] = {}
        for key, dist in self.dims:
            value = resolver.value(key, overrides)
            if value is not None and contains(dist, value):
                out[key] = value
        return out

    def finite_size(self) -> int | None:
        """Number of points when every dim is categorical or integer, else None (continuous)."""
        size = 1
        for _, dist in self.dims:
            if isinstance(dist, CategoricalDistribution):
                size *= len(dist.choices)
            elif isinstance(dist, IntDistribution):
                size *= (dist.high - dist.low) // dist.step + 1
            else:
                return None
        return size

    def grid(self) -> list[dict[str, Scalar]]:
        axes = []
        for key, dist in self.dims:
            if isinstance(dist, CategoricalDistribution):
                axes.append([(key, c) for c in dist.choices])
            else:
                axes.append([(key, v) for v in range(dist.low, dist.high + 1, dist.step)])  # type: ignore[attr-defined]
        return [dict(combo) for combo in itertools.product(*axes)]


def inside(dist: BaseDistribution, value: Scalar | None) -> Scalar | None:
    """`value` moved into `dist`: numbers clamped to the range, anything else outside a
    categorical's choices replaced by its first choice; None when nothing sensible fits."""
    if isinstance(dist, CategoricalDistribution):
        return value if value is not None and contains(dist, value) else dist.choices[0]
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    clamped = min(max(value, dist.low), dist.high)  # type: ignore[attr-defined]
    return int(clamped) if isinstance(dist, IntDistribution) else float(clamped)


def contains(dist: BaseDistribution, value: Scalar) -> bool:
    if isinstance(dist, CategoricalDistribution):
        return any(type(c) is type(value) and c == value for c in dist.choices)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(dist, IntDistribution) and float(value) != int(value):
        return False
    return dist.low <= value <= dist.high  # type: ignore[attr-defined]
