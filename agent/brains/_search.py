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
import math
import random
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState, create_trial

from sentinel.agent.brains._resolver import Resolver
from sentinel.agent.brains._space import SearchSpace, inside
from sentinel.agent.brains._view import STALL_PATIENCE, CampaignView, Scalar
from sentinel.agent.store import ProposalRecord

__all__ = [  # the view, resolver and space are re-exported: the strategist's modules use them as search.*
    "FAIL_RADIUS",
    "STALL_PATIENCE",
    "Asked",
    "CampaignView",
    "Resolver",
    "Scalar",
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
STARTUP = 3  # random trials before TPE models (baseline + 2): at 12 runs, 10 would be most of them
EI_CANDIDATES = 48  # candidates TPE scores per ask (Optuna's default 24): sharper at small budgets


def seed_for(*parts: object) -> int:
    """A 32-bit seed from the campaign seed and counts: stable across processes and Python runs."""
    text = "|".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


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
