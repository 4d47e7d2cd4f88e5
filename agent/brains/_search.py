"""Tier-1 search state, rebuilt from the store on every call: the campaign view and the Optuna study.

Nothing is kept between calls. Each proposal of the campaign becomes one trial, in proposal
order, with the values it actually ran with (explicit overrides, else the experiment's
resolved defaults), so a resumed campaign rebuilds the same study and asks the same question.

Feedback is honest. A completed run is a COMPLETE trial with its best value of the goal metric,
including runs the in-loop monitor rescued (their number is real). Every other end (diverged,
failed, timeout, oom, killed, artifact_rejected, rejected_by_*) is a FAIL trial: no number is
invented for it. Optuna's TPE ignores FAIL trials when it models the objective, so the search
adds its own guard: a candidate within `FAIL_RADIUS` of a failed point (normalised, log scale
for log ranges, same categorical values) is asked again. Proposals still in flight are RUNNING
trials, which TPE's constant liar treats as bad, so parallel proposals spread out.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
import yaml
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import TrialState, create_trial

from sentinel.agent.configs import compose
from sentinel.agent.errors import BadInput
from sentinel.agent.goals import CHOICE_GROUPS, Choices, GoalMetric, Range
from sentinel.agent.store import ProposalRecord, RunRecord
from sentinel.contract.registry import GENERATED_TARGET, TARGETS

__all__ = [
    "FAIL_RADIUS",
    "Asked",
    "CampaignView",
    "Resolver",
    "SearchSpace",
    "Trial",
    "ask",
    "build_study",
    "inside",
    "near_failure",
    "point_key",
    "seed_for",
    "trials",
]

FAIL_RADIUS = 0.05  # share of a numeric range (log range for log dims) around a failed point
MAX_ASKS = 24  # candidates tried before falling back to enumeration (finite spaces) or accepting
MAX_GRID = 4096  # enumerate finite spaces up to this size to find an untried combination
STALL_PATIENCE = 4  # "Optuna stagnates": no new best in this many finished proposals
STARTUP = 3  # random trials before TPE models (baseline + 2): at 12 runs, 10 would be most of them
EI_CANDIDATES = 48  # candidates TPE scores per ask (Optuna's default 24): sharper at small budgets
Scalar = str | int | float | bool


def seed_for(*parts: object) -> int:
    """A 32-bit seed from the campaign seed and counts: stable across processes and Python runs."""
    text = "|".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


@dataclass(frozen=True, slots=True)
class CampaignView:
    """The proposals so far with the finished run of each (if any), and goal-metric helpers."""

    proposals: tuple[ProposalRecord, ...]
    finished: Mapping[int, RunRecord]
    metric: GoalMetric

    @classmethod
    def load(cls, store: Any, campaign_id: str, metric: GoalMetric) -> CampaignView:
        runs = {run.proposal.id: run for run in store.history(campaign_id)}
        return cls(tuple(store.proposals(campaign_id)), runs, metric)

    def value(self, proposal_id: int) -> float | None:
        """The goal metric of a completed run (rescued ones included); None for every other end."""
        run = self.finished.get(proposal_id)
        if run is None or run.status != "completed":
            return None
        value = run.metric(self.metric.name)
        return value if value is not None and math.isfinite(value) else None

    def best(self) -> tuple[ProposalRecord, float] | None:
        found = [(p, v) for p in self.proposals if (v := self.value(p.id)) is not None]
        if not found:
            return None
        return min(found, key=lambda pv: pv[1] if self.metric.mode == "min" else -pv[1])

    def pending(self) -> list[ProposalRecord]:
        return [p for p in self.proposals if p.id not in self.finished]

    def stalled(self, patience: int = STALL_PATIENCE) -> int:
        """Finished proposals since the last new best when that is at least `patience`, else 0."""
        done = [p for p in self.proposals if p.id in self.finished]
        best: float | None = None
        since = 0
        for p in done:
            value = self.value(p.id)
            if value is not None and (best is None or self.metric.better(value, best)):
                best, since = value, 0
            else:
                since += 1
        return since if best is not None and since >= patience else 0

    def counts(self) -> dict[str, int]:
        out = {"completed": 0, "failed": 0, "pending": len(self.pending()), "rescued": 0}
        for run in self.finished.values():
            out["completed" if run.status == "completed" else "failed"] += 1
            out["rescued"] += int(run.status == "completed" and run.event_count > 0)
        return out


class Resolver:
    """The values a proposal ran with: its overrides over the experiment's composed defaults.

    Composed configs are cached per set of group picks within one call only, so a config file
    edited between two calls is read fresh (no hidden state across calls).
    """

    def __init__(self, experiment: str, configs_dir: Path, generated_root: Path | None = None) -> None:
        self.experiment, self.configs_dir = experiment, Path(configs_dir)
        self.generated_root = generated_root
        self._configs: dict[tuple[tuple[str, str], ...], dict[str, Any] | None] = {}
        self.defaults = self._default_entries()

    def _default_entries(self) -> dict[str, str]:
        path = self.configs_dir / "experiments" / f"{self.experiment}.yaml"
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            return {}
        defaults = raw.get("defaults") if isinstance(raw, dict) else None
        return {k: v for k, v in (defaults or {}).items() if isinstance(k, str) and isinstance(v, str)}

    def picks(self, overrides: Mapping[str, Scalar]) -> dict[str, str]:
        """Group -> entry name the proposal used, for the groups a search can pick."""
        out = {g: e for g, e in self.defaults.items() if g in CHOICE_GROUPS}
        out.update({g: str(v) for g, v in overrides.items() if g in CHOICE_GROUPS})
        return out

    def config(self, overrides: Mapping[str, Scalar]) -> dict[str, Any] | None:
        picks = tuple(sorted(self.picks(overrides).items()))
        if picks not in self._configs:
            try:
                texts = [f"{g}={e}" for g, e in picks]
                resolved = compose(self.experiment, texts, self.configs_dir, self.generated_root)
                self._configs[picks] = resolved.config
            except BadInput:
                self._configs[picks] = None  # e.g. a generated entry removed since: use overrides only
        return self._configs[picks]

    def value(self, key: str, overrides: Mapping[str, Scalar]) -> Scalar | None:
        """What `key` was for this proposal, or None when it does not apply (a CNN has no `hidden`)."""
        if key in CHOICE_GROUPS:
            return self.picks(overrides).get(key)
        config = self.config(overrides)
        section, _, name = key.partition(".")
        if config is not None and not self.applies(config, section, name):
            return None
        if key in overrides:
            return overrides[key]
        value = config[section].get(name) if config is not None else None
        return value if isinstance(value, str | int | float) else None

    @staticmethod
    def applies(config: Mapping[str, Any], section: str, name: str) -> bool:
        entry = config.get(section) or {}
        target = str(entry.get("_target_"))
        if target in TARGETS:
            return name in TARGETS[target].params
        return bool(GENERATED_TARGET.match(target)) and name in entry


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
            if value is not None and _contains(dist, value):
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
        return value if value is not None and _contains(dist, value) else dist.choices[0]
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    clamped = min(max(value, dist.low), dist.high)  # type: ignore[attr-defined]
    return int(clamped) if isinstance(dist, IntDistribution) else float(clamped)


def _contains(dist: BaseDistribution, value: Scalar) -> bool:
    if isinstance(dist, CategoricalDistribution):
        return any(type(c) is type(value) and c == value for c in dist.choices)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(dist, IntDistribution) and float(value) != int(value):
        return False
    return dist.low <= value <= dist.high  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Trial:
    proposal: ProposalRecord
    params: dict[str, Scalar]
    state: TrialState
    value: float | None
    status: str  # the run's status, or the proposal's state while it is in flight


def trials(view: CampaignView, space: SearchSpace, resolver: Resolver) -> list[Trial]:
    out = []
    for p in view.proposals:
        run = view.finished.get(p.id)
        value = view.value(p.id)
        if run is None:
            state, status = TrialState.RUNNING, p.state
        else:
            state, status = (TrialState.COMPLETE if value is not None else TrialState.FAIL), run.status
        out.append(Trial(p, space.params(p.overrides, resolver), state, value, status))
    return out


def build_study(
    space: SearchSpace,
    history: Sequence[Trial],
    mode: str,
    seed: int,
    prior: Sequence[tuple[Mapping[str, Scalar], float]] = (),
) -> optuna.Study:
    """An in-memory study holding every trial (earlier campaigns' `prior` points first), with a
    TPE sampler seeded from `seed`.

    Budgets here are 8-30 runs, so the random start is kept short (`STARTUP` trials, counted
    with the prior ones: a warm-started study models from its first ask) and TPE is
    multivariate with `group=True`: it models the joint density of the dims, and conditional
    dims (model-specific parameters that apply to some models only) get their own groups
    instead of being treated as independent. Optuna's logger is set to WARNING: at INFO it
    prints a line for every trial added.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # multivariate, group and constant_liar are experimental
        sampler = optuna.samplers.TPESampler(
            seed=seed,
            n_startup_trials=STARTUP,
            n_ei_candidates=EI_CANDIDATES,
            multivariate=True,
            group=True,
            constant_liar=True,
            warn_independent_sampling=False,
        )
    study = optuna.create_study(direction="minimize" if mode == "min" else "maximize", sampler=sampler)
    dists = dict(space.dims)
    for params, value in prior:
        study.add_trial(
            create_trial(
                params={k: v for k, v in params.items() if k in dists},
                distributions={k: dists[k] for k in params if k in dists},
                value=value,
                user_attrs={"prior": True},
            )
        )
    for t in history:
        study.add_trial(
            create_trial(
                params=t.params,
                distributions={k: dists[k] for k in t.params},
                value=t.value if t.state == TrialState.COMPLETE else None,
                state=t.state,
                user_attrs={"seq": t.proposal.seq, "status": t.status},
            )
        )
    return study


def _round(value: Scalar, dist: BaseDistribution) -> Scalar:
    """Three significant digits for floats (a config a person can read), kept inside the range."""
    if isinstance(dist, FloatDistribution) and isinstance(value, float):
        return min(max(float(f"{value:.3g}"), dist.low), dist.high)
    return value


def _position(value: Scalar, dist: BaseDistribution) -> float | None:
    if isinstance(dist, CategoricalDistribution) or isinstance(value, bool | str):
        return None
    low, high, v = float(dist.low), float(dist.high), float(value)  # type: ignore[attr-defined]
    if dist.log:  # type: ignore[attr-defined]
        low, high, v = math.log(low), math.log(high), math.log(max(v, 1e-300))
    return (v - low) / (high - low) if high > low else 0.0


def near_failure(
    params: Mapping[str, Scalar], failed: Sequence[Mapping[str, Scalar]], space: SearchSpace
) -> bool:
    """True when some failed point shares the categorical values and is within FAIL_RADIUS on
    every numeric dim the two have in common (at least one numeric dim)."""
    dists = dict(space.dims)
    for other in failed:
        shared = [k for k in params if k in other]
        numeric = [k for k in shared if _position(params[k], dists[k]) is not None]
        if not numeric or any(params[k] != other[k] for k in shared if k not in numeric):
            continue
        gaps = [abs(_position(params[k], dists[k]) - _position(other[k], dists[k])) for k in numeric]  # type: ignore[operator]
        if max(gaps) <= FAIL_RADIUS:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Asked:
    params: dict[str, Scalar]
    how: str  # tpe | tpe_near_failure | enumerated


def point_key(params: Mapping[str, Scalar]) -> tuple[tuple[str, Scalar], ...]:
    return tuple(sorted(params.items()))


def ask(
    study: optuna.Study,
    space: SearchSpace,
    resolver: Resolver,
    tried: set[tuple[tuple[str, Scalar], ...]],
    failed: Sequence[Mapping[str, Scalar]],
    seed: int,
    forced: Mapping[str, Scalar] | None = None,
) -> Asked | None:
    """The next untried point: TPE first, away from failures; then, in a finite space, the first
    untried point of a seeded shuffle; None when a finite space is exhausted. Points are compared
    after dropping dims that do not apply (a CNN has no `hidden`), as the trials were built."""
    forced = dict(forced or {})
    dists = dict(space.dims)
    fallback: dict[str, Scalar] | None = None
    for _ in range(MAX_ASKS):
        trial = study.ask(dists)
        raw = {k: _round(v, dists[k]) for k, v in trial.params.items()} | forced
        params = space.params(raw, resolver)
        key = point_key(params)
        if key in tried:
            continue
        if not near_failure(params, failed, space):
            return Asked(params, "tpe")
        fallback = fallback or params
    size = space.finite_size()
    if size is not None and size <= MAX_GRID:
        grid = [
            space.params(g, resolver) for g in space.grid() if all(g.get(k) == v for k, v in forced.items())
        ]
        random.Random(seed).shuffle(grid)
        for point in grid:
            if point_key(point) not in tried:
                return Asked(point, "enumerated")
        return None
    return Asked(fallback, "tpe_near_failure") if fallback is not None else None
