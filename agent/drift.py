"""Drift and stagnation: what the history of a campaign says the loop should do next.

Every judgement is scale-free: a difference between metric values counts only in units of the
metric's scale in this campaign, and values are oriented so that lower is better. The scale is
the robust spread of every value observed (MAD), floored at `rel_floor` times the median's size
so that a campaign whose runs all land close together does not read noise as progress. So
val/acc in [0, 1], val/mae in bpm and a negative ELBO behave alike, and changing a metric's unit
or negating it (with its mode) never changes a recommendation.

Drift is judged only inside a config lineage (runs that descend from one another), never
across unrelated exploratory runs; stagnation is judged on the campaign's best-so-far, which an
exploratory bad run cannot worsen, and inside the active lineage. The output is one
`Recommendation`, in Sentinel's own words with numeric evidence, that a brain may follow:
continue, change_lr, change_model, escalate (a tier up) or stop.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentinel.agent.store import FeedbackStore, RunRecord

__all__ = [
    "ACTIONS",
    "DriftPolicy",
    "Finding",
    "Observation",
    "Recommendation",
    "assess",
    "assess_campaign",
    "metric_scale",
    "observations",
]

ACTIONS = ("continue", "change_lr", "change_model", "escalate", "stop")
REJECTED = frozenset({"rejected_by_validator", "rejected_by_reviewer"})  # never ran: not evidence
MAD_TO_SIGMA = 1.4826  # makes the MAD comparable to a standard deviation for normal data


@dataclass(frozen=True, slots=True)
class Observation:
    """One finished run as drift sees it. `value` is the goal metric, None when the run gave no
    trustworthy number (failed, or diverged: its best point precedes the blow-up)."""

    seq: int
    lineage: str
    status: str
    value: float | None
    lr: float | None = None
    model: str | None = None
    nonfinite: bool = False  # the run logged NaN/Inf losses or gradients


@dataclass(frozen=True, slots=True)
class DriftPolicy:
    """Thresholds, all in run counts, shares, or units of the metric's scale."""

    window: int = 3  # stagnation: no gain over the last `window` runs
    min_gain: float = 0.05  # a gain smaller than this many scales is no gain
    drift_runs: int = 3  # drift: this many valued runs of a lineage, each worse than the last
    unstable_window: int = 4  # instability: among the last runs of the campaign ...
    unstable_share: float = 0.5  # ... at least this share diverged or went non-finite
    budget_share: float = 0.8  # "nearly spent": stop on stagnation instead of changing course
    rel_floor: float = 0.05  # the scale is at least this share of |median value|

    def __post_init__(self) -> None:
        for name in ("window", "drift_runs", "unstable_window"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name} must be >= 2, got {getattr(self, name)}")
        for name in ("unstable_share", "budget_share"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")
        for name in ("min_gain", "rel_floor"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise ValueError(f"{name} must be finite and >= 0, got {getattr(self, name)}")


@dataclass(frozen=True, slots=True)
class Finding:
    """One signal: `kind` in stagnation|lineage_stagnation|drift|instability|budget|target."""

    kind: str
    wording: str
    evidence: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The decision, why (Sentinel's wording), the numbers behind it, and every finding seen."""

    action: str
    reason: str
    evidence: Mapping[str, float]
    findings: tuple[Finding, ...] = ()
    lineage: str | None = None  # the active lineage (the latest run's)
    to_tier: int | None = None  # set when action == "escalate"
    untried_models: tuple[str, ...] = field(default=())


def observations(runs: Sequence[RunRecord], metric: str, which: str = "best") -> list[Observation]:
    """Store history (FeedbackStore.history) -> observations, skipping proposals that never ran."""
    out = []
    for run in runs:
        if run.status in REJECTED or run.status == "running":
            continue
        overrides = run.proposal.overrides
        lr = overrides.get("trainer.lr")
        lr = float(lr) if isinstance(lr, int | float) and not isinstance(lr, bool) else run.initial_lr
        model = overrides.get("model")
        model = model if isinstance(model, str) else run.proposal.model_ref
        value = run.metric(metric, which) if run.status == "completed" else None
        out.append(
            Observation(run.proposal.seq, run.lineage, run.status, value, lr, model, run.nonfinite_lines > 0)
        )
    return out


def metric_scale(values: Sequence[float], rel_floor: float = 0.05) -> float:
    """max(1.4826 * MAD, rel_floor * |median|): one outlier barely moves it, a tight cluster of
    runs cannot shrink it to nothing. Half the range when both are zero, 1.0 when all values
    are equal (then every difference is zero and any scale gives the same answer)."""
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < 2:
        return 1.0  # nothing to compare yet
    med = statistics.median(finite)
    scale = max(MAD_TO_SIGMA * statistics.median(abs(v - med) for v in finite), rel_floor * abs(med))
    if scale > 0:
        return scale
    half_range = (max(finite) - min(finite)) / 2
    return half_range if half_range > 0 else 1.0


def _best(obs: Sequence[Observation], sign: float) -> float:
    values = [sign * o.value for o in obs if o.value is not None]
    return min(values) if values else math.inf


def _gain(obs: Sequence[Observation], window: int, sign: float, scale: float) -> float | None:
    """Improvement of the best in the last `window` runs over the best before, in scales;
    None when there is no valued run before the window to compare with."""
    if len(obs) <= window:
        return None
    before, recent = _best(obs[:-window], sign), _best(obs[-window:], sign)
    if math.isinf(before):
        return None
    return -math.inf if math.isinf(recent) else (before - recent) / scale


def _drift(obs: Sequence[Observation], policy: DriftPolicy, sign: float, scale: float) -> float | None:
    """Total worsening (in scales) when the lineage's last `drift_runs` valued runs each got worse."""
    valued = [sign * o.value for o in obs if o.value is not None][-policy.drift_runs :]
    if len(valued) < policy.drift_runs or any(b <= a for a, b in pairwise(valued)):
        return None
    worsening = (valued[-1] - valued[0]) / scale
    return worsening if worsening > policy.min_gain else None


def _instability(obs: Sequence[Observation], policy: DriftPolicy) -> Finding | None:
    recent = obs[-policy.unstable_window :]
    bad = [o for o in recent if o.status == "diverged" or (o.status == "failed" and o.nonfinite)]
    if len(recent) < policy.unstable_window or len(bad) < 2 or len(bad) / len(recent) < policy.unstable_share:
        return None
    evidence = {"unstable": float(len(bad)), "window": float(len(recent)), "share": len(bad) / len(recent)}
    wording = f"{len(bad)} of the last {len(recent)} runs diverged or went non-finite"
    bad_lr = [o.lr for o in bad if o.lr is not None]
    ok_lr = [o.lr for o in obs if o.value is not None and o.lr is not None]
    if bad_lr and ok_lr:
        evidence["median_lr_unstable"] = statistics.median(bad_lr)
        evidence["median_lr_stable"] = statistics.median(ok_lr)
        side = "above" if evidence["median_lr_unstable"] > evidence["median_lr_stable"] else "not above"
        wording += f"; their median learning rate is {side} that of the runs that trained"
    return Finding("instability", wording, evidence)


def assess(
    history: Sequence[Observation],
    *,
    mode: str,
    budget_runs: int,
    tier: int = 1,
    max_tier: int = 1,
    known_models: Sequence[str] = (),
    target: float | None = None,
    runs_used: int | None = None,
    policy: DriftPolicy | None = None,
) -> Recommendation:
    """Recommend the next move from a campaign's history (oldest first); pure and deterministic.

    First match wins: target reached -> stop; budget spent -> stop; instability -> change_lr;
    campaign stagnation with the budget nearly spent -> stop; drift in the active lineage ->
    change_lr (worse each time is more specific than flat); campaign stagnation -> change_model
    while a known model is untried, else escalate while tier < max_tier, else stop; stagnation
    of the active lineage alone -> change_model while a model is untried; otherwise continue.
    """
    if mode not in {"min", "max"}:
        raise ValueError(f"mode must be min or max, got {mode!r}")
    policy = policy or DriftPolicy()
    sign = 1.0 if mode == "min" else -1.0
    obs = sorted(history, key=lambda o: o.seq)
    used = len(obs) if runs_used is None else runs_used
    scale = metric_scale([o.value for o in obs if o.value is not None], policy.rel_floor)
    best = _best(obs, sign)
    lineage = obs[-1].lineage if obs else None
    tried = {o.model for o in obs if o.model}
    untried = tuple(m for m in known_models if m not in tried)
    context = {
        "runs_used": float(used),
        "budget_runs": float(budget_runs),
        "scale": scale,
        "tier": float(tier),
    }
    if math.isfinite(best):
        context["best"] = sign * best
    mine = [o for o in obs if o.lineage == lineage]
    findings = _findings(obs, mine, policy, sign, scale, best, used, budget_runs, target)
    found = {f.kind: f for f in findings}

    def decide(action: str, kind: str, reason: str = "", to_tier: int | None = None) -> Recommendation:
        extra = {"to_tier": float(to_tier)} if to_tier else {}
        evidence = MappingProxyType({**context, **found[kind].evidence, **extra})
        why = found[kind].wording + reason
        return Recommendation(action, why, evidence, tuple(findings), lineage, to_tier, untried)

    for kind in ("target", "budget"):
        if kind in found:
            return decide("stop", kind)
    if "instability" in found:
        return decide("change_lr", "instability", ": change the learning rate")
    if "stagnation" in found and used >= policy.budget_share * budget_runs:
        return decide("stop", "stagnation", " and the budget is nearly spent")
    if "drift" in found:
        return decide("change_lr", "drift", ": step the learning rate back")
    if "stagnation" in found:
        if untried:
            return decide("change_model", "stagnation", f"; models not tried yet: {', '.join(untried)}")
        if tier < max_tier:
            return decide("escalate", "stagnation", " with every known model tried", to_tier=tier + 1)
        return decide("stop", "stagnation", "; every known model is tried and no tier is left")
    if "lineage_stagnation" in found and untried:
        return decide("change_model", "lineage_stagnation", f"; models not tried yet: {', '.join(untried)}")
    why = "the campaign is still improving" if obs else "no finished runs yet"
    return Recommendation("continue", why, MappingProxyType(context), tuple(findings), lineage, None, untried)


def _findings(
    obs: Sequence[Observation],
    mine: Sequence[Observation],
    policy: DriftPolicy,
    sign: float,
    scale: float,
    best: float,
    used: int,
    budget_runs: int,
    target: float | None,
) -> list[Finding]:
    """Every signal present, whether or not it decides: `campaign status` shows them all."""
    out = []
    if target is not None and math.isfinite(best) and best <= sign * target:
        out.append(Finding("target", "the target is reached", {"target": float(target)}))
    if used >= budget_runs:
        out.append(Finding("budget", f"the budget of {budget_runs} runs is spent", {}))
    unstable = _instability(obs, policy)
    if unstable is not None:
        out.append(unstable)
    gain = _gain(obs, policy.window, sign, scale)
    if gain is not None and gain <= policy.min_gain:
        out.append(
            Finding(
                "stagnation",
                f"the campaign's best gained no more than {policy.min_gain:g} scales in {policy.window} runs",
                {"gain": max(gain, -1e9), "min_gain": policy.min_gain, "window": float(policy.window)},
            )
        )
    lineage = mine[-1].lineage if mine else ""
    worsening = _drift(mine, policy, sign, scale)
    if worsening is not None:
        out.append(
            Finding(
                "drift",
                f"lineage {lineage} got worse in each of its last {policy.drift_runs} runs",
                {"worsening": worsening, "runs": float(policy.drift_runs)},
            )
        )
    lineage_gain = _gain(mine, policy.window, sign, scale)
    if lineage_gain is not None and lineage_gain <= policy.min_gain:
        out.append(
            Finding(
                "lineage_stagnation",
                f"lineage {lineage} gained at most {policy.min_gain:g} scales in {policy.window} runs",
                {"lineage_gain": max(lineage_gain, -1e9), "window": float(policy.window)},
            )
        )
    return out


def assess_campaign(
    store: FeedbackStore, campaign_id: str, policy: DriftPolicy | None = None, which: str = "best"
) -> Recommendation:
    """`assess` on a stored campaign: its goal snapshot, current tier and history."""
    from sentinel.agent.goals import Choices, parse_goal

    campaign = store.get_campaign(campaign_id)
    goal = parse_goal(dict(campaign.goal), f"campaign {campaign_id} goal snapshot", campaign.goal_address)
    models = dict(goal.search_space).get("model")
    known = tuple(str(m) for m in models.values) if isinstance(models, Choices) else ()
    history = observations(store.history(campaign_id), goal.metric.name, which)
    return assess(
        history,
        mode=goal.metric.mode,
        budget_runs=goal.budget.runs,
        tier=campaign.tier,
        max_tier=goal.max_tier,
        known_models=known,
        target=goal.target,
        policy=policy,
    )
