"""The offline strategist: Optuna TPE for tier 1, config variants for tier 2, new architectures
for tier 3. It needs no API key and is the campaign's default brain.

It keeps no state between calls: every `propose` rebuilds what it knows from the store (the
proposals, their runs, the goal) and draws its randomness from the campaign seed and the
number of proposals, so a campaign resumed after a crash gets the proposal it would have got.
One call makes one move, tried in this order:

1. no proposal yet: the best point of earlier campaigns on the same question (warm start, see
   _warmstart.py), else the baseline (the goal's `start` overrides, else the experiment defaults);
2. `change_model` with a known model untried: TPE with that model fixed;
3. tier 3 (campaign tier >= 3, `change_model`/`escalate`, every known model has run, a
   supervised task): a new architecture from block templates, validated and registered;
4. tier 2 (campaign tier >= 2, stagnation or escalation in the recommendation, or TPE without
   a new best for several runs): the next config variant of the best run's model or trainer;
5. `change_lr`: the active lineage's best run with its learning rate stepped down;
6. tier 1: TPE over the goal's search space (plus entries tiers 2 and 3 introduced), its study
   holding earlier campaigns' points on the same question before this campaign's own;
7. when tier 1 is exhausted (a finite space fully tried), tier 2 or 3 if allowed, else None.

A tier-2 or tier-3 move that cannot be made falls through to the next one. Rationales are
Sentinel's own wording with the numbers that drove the move; nothing from a run's artifacts
reaches them except through the store's numbers and enumerated statuses.
"""

from __future__ import annotations

from typing import ClassVar

from optuna.distributions import CategoricalDistribution
from optuna.trial import TrialState

from sentinel.agent.brains import _search as search
from sentinel.agent.brains._base import Brain, CampaignContext, Proposal
from sentinel.agent.brains._escalation import new_architecture, next_variant
from sentinel.agent.brains._exploit import EXPLOIT_EVERY, local_step
from sentinel.agent.brains._state import STAGNATION, State, overrides_text
from sentinel.agent.brains._warmstart import Prior, load_prior
from sentinel.agent.drift import assess_campaign

__all__ = ["StrategistBrain"]

LR_STEP = {"instability": 0.3, "drift": 0.5}  # change_lr: how far to step the rate back
TIER1_SHARE = 0.5  # tiers 2/3 wait (unless tier 1 is exhausted) until this share of the budget has run


class StrategistBrain(Brain):
    """Deterministic given the campaign seed and the store's history (see the module docstring).

    `stall_patience`: finished proposals without a new best after which tier 2 counts the
    search as stagnating even when drift has not said so yet. `tier1_share`: the share of the
    budget that must have run before a tier-2/3 move (0: as soon as it is due). `exploit_every`:
    after the random start, every n-th proposal is a local step around the best (0: never).
    """

    name: ClassVar[str] = "strategist"

    def __init__(
        self,
        stall_patience: int = search.STALL_PATIENCE,
        tier1_share: float = TIER1_SHARE,
        exploit_every: int = EXPLOIT_EVERY,
    ) -> None:
        if stall_patience < 2:
            raise ValueError(f"stall_patience must be >= 2, got {stall_patience}")
        if not 0 <= tier1_share <= 1:
            raise ValueError(f"tier1_share must be in 0..1, got {tier1_share}")
        if exploit_every < 0:
            raise ValueError(f"exploit_every must be >= 0, got {exploit_every}")
        self.stall_patience, self.tier1_share, self.exploit_every = stall_patience, tier1_share, exploit_every

    def propose(self, ctx: CampaignContext) -> Proposal | None:
        goal = ctx.goal
        view = search.CampaignView.load(ctx.store, ctx.campaign_id, goal.metric)
        resolver = search.Resolver(goal.experiment, ctx.configs_dir, ctx.generated_root)
        if not view.proposals:
            return self._warm_start(ctx, resolver) or self._baseline(ctx, resolver)
        rec = ctx.recommendation or assess_campaign(ctx.store, ctx.campaign_id)
        st = State(ctx, view, resolver, search.SearchSpace.build(goal, view, resolver, ctx.tier), rec)
        untried = st.untried_models()
        stalled = view.stalled(self.stall_patience)
        moves = []
        if rec.action == "change_model" and untried and "model" in st.space.keys:
            moves.append(lambda: self._tier1(st, forced=untried[0]))
        if self._tier3_due(st, untried):
            moves.append(lambda: new_architecture(st, exhausted=False))
        if self._tier2_due(st, stalled):
            moves.append(lambda: next_variant(st, exhausted=False, stalled=stalled))
        if rec.action == "change_lr":
            moves.append(lambda: self._step_lr(st))
        if self._exploit_due(st):
            moves.append(lambda: self._exploit(st))
        moves.append(lambda: self._tier1(st))
        if ctx.tier >= 2:  # tier 1 is exhausted when the moves reach here
            moves.append(lambda: next_variant(st, exhausted=True, stalled=stalled))
        if ctx.tier >= 3 and not untried and st.supervised():
            moves.append(lambda: new_architecture(st, exhausted=True))
        for move in moves:
            if (proposal := move()) is not None:
                return proposal
        return None

    # gates ------------------------------------------------------------------------------------
    def _tier2_due(self, st: State, stalled: int) -> bool:
        """Stagnation or escalation, at tier 2+, with no variant in flight, not twice in a row
        (a variant is first tuned by tier 1 before the next rung is tried)."""
        if st.ctx.tier < 2 or any(p.tier == 2 for p in st.view.pending()) or st.view.proposals[-1].tier == 2:
            return False
        if not self._tier1_had_its_share(st):
            return False
        kinds = {f.kind for f in st.rec.findings}
        return st.rec.action == "escalate" or bool(kinds & STAGNATION) or stalled > 0

    def _tier3_due(self, st: State, untried: list[str]) -> bool:
        """A model change is recommended, every known model has run, the task is supervised and
        no generated architecture is in flight."""
        if st.ctx.tier < 3 or st.rec.action not in ("change_model", "escalate") or untried:
            return False
        if not self._tier1_had_its_share(st):
            return False
        return not any(p.tier == 3 and p.model_ref for p in st.view.pending()) and st.supervised()

    def _tier1_had_its_share(self, st: State) -> bool:
        """At small budgets a config variant or a new architecture costs runs tier 1 would use
        better: they wait until TIER1_SHARE of the budget has run (an exhausted tier 1 does not)."""
        ended = sum(1 for p in st.view.proposals if p.id in st.view.finished)
        return ended >= self.tier1_share * st.ctx.goal.budget.runs

    def _exploit_due(self, st: State) -> bool:
        """After the random start, every EXPLOIT_EVERY-th proposal refines the best point."""
        if self.exploit_every == 0:
            return False
        valued = sum(1 for p in st.view.proposals if st.view.value(p.id) is not None)
        return valued >= search.STARTUP and len(st.view.proposals) % self.exploit_every == 0

    def _exploit(self, st: State) -> Proposal | None:
        best = st.view.best()
        if best is None:
            return None
        parent, value = best
        trials = search.trials(st.view, st.space, st.resolver)
        tried = {search.point_key(t.params) for t in trials}
        failed = [t.params for t in trials if t.state == TrialState.FAIL]
        seed = search.seed_for(st.ctx.seed, len(st.view.proposals), "exploit")
        point = local_step(st.space.params(parent.overrides, st.resolver), st.space, tried, failed, seed)
        if point is None:
            return None
        overrides = {**parent.overrides, **point}
        tier = st.entry_tier(overrides)
        changed = {k: v for k, v in point.items() if parent.overrides.get(k) != v}
        rationale = (
            f"tier {tier}, exploit around the best: #{parent.seq} ({st.metric}={value:.4g}) with a local "
            f"step {overrides_text(changed)} (seed {seed}); its other settings kept. Every second proposal "
            "after the random start refines the best point while TPE explores."
        )
        return Proposal(tier, overrides, rationale, model_ref=st.model_ref(overrides))

    # tier 1 -----------------------------------------------------------------------------------
    def _baseline(self, ctx: CampaignContext, resolver: search.Resolver) -> Proposal:
        """The goal's `start` overrides, else the experiment's defaults, with the search dims'
        values written out, so every run in the store says what it ran (drift reads the model)."""
        start = dict(ctx.goal.start)
        space = search.SearchSpace.build(ctx.goal, search.CampaignView((), {}, ctx.goal.metric), resolver, 1)
        overrides = {**space.params(start, resolver), **start}
        for key, dist in space.dims:  # a default the goal's choices exclude: its first choice
            default = resolver.value(key, start)  # None: the key does not apply to this config
            if key not in overrides and default is not None and isinstance(dist, CategoricalDistribution):
                overrides[key] = search.inside(dist, default)  # (a numeric default stays as it is)
        if start:
            why = f"the goal's start overrides {overrides_text(start)}"
        else:
            why = f"experiment {ctx.goal.experiment} at its defaults"
        shown = {k: v for k, v in overrides.items() if k not in start}
        tail = f" (search dims at their defaults: {overrides_text(shown)})" if shown else ""
        rationale = f"tier 1, baseline: {why}{tail}; every later proposal is measured against it."
        return Proposal(tier=1, overrides=overrides, rationale=rationale)

    def _warm_start(self, ctx: CampaignContext, resolver: search.Resolver) -> Proposal | None:
        """The best point earlier campaigns on the same question measured, run again first."""
        space = search.SearchSpace.build(ctx.goal, search.CampaignView((), {}, ctx.goal.metric), resolver, 1)
        prior = load_prior(ctx.store, ctx.campaign_id, space, resolver)
        best = prior.best(ctx.goal.metric.mode)
        if best is None:
            return None
        params, value, campaign, seq = best
        rationale = (
            f"tier 1, warm start: {len(prior.points)} completed runs of {len(prior.campaigns)} earlier "
            f"campaign(s) on the same experiment, metric and search space are in this campaign's study; "
            f"starting from their best, {overrides_text(params)} (campaign {campaign} #{seq}, "
            f"{ctx.goal.metric.name}={value:.4g})."
        )
        return Proposal(tier=1, overrides={**dict(ctx.goal.start), **params}, rationale=rationale)

    def _tier1(self, st: State, forced: str | None = None) -> Proposal | None:
        trials = search.trials(st.view, st.space, st.resolver)
        prior: Prior = load_prior(st.ctx.store, st.ctx.campaign_id, st.space, st.resolver)
        tried = {search.point_key(t.params) for t in trials} | {search.point_key(p) for p, *_ in prior.points}
        failed = [t.params for t in trials if t.state == TrialState.FAIL]
        seed = search.seed_for(st.ctx.seed, len(st.view.proposals))
        points = [(p, v) for p, v, *_ in prior.points]
        study = search.build_study(st.space, trials, st.ctx.goal.metric.mode, seed, points)
        pin = {"model": forced} if forced is not None else None
        asked = search.ask(study, st.space, st.resolver, tried, failed, seed, pin)
        if asked is None:
            return None
        overrides = dict(asked.params)
        tier = st.entry_tier(overrides)
        counts = st.view.counts()
        how = {
            "tpe": "sampled by Optuna TPE",
            "tpe_near_failure": "sampled by Optuna TPE (every untried candidate lay within "
            f"{search.FAIL_RADIUS:.0%} of a failed run; the first is kept)",
            "enumerated": "the first untried point of the finite space (TPE only repeated tried ones)",
        }[asked.how]
        dims = ", ".join(st.space.keys) or "none"
        if prior.points:
            how += (
                f" (warm-started with {len(prior.points)} runs of {len(prior.campaigns)} earlier campaign(s))"
            )
        lines = [
            f"tier {tier}, search: {overrides_text(overrides)}, {how} with seed {seed} over {dims}.",
            f"Fed back: {counts['completed']} completed ({counts['rescued']} rescued by the monitor, "
            f"with their real {st.metric}), {counts['failed']} other ends as failures, "
            f"{counts['pending']} in flight; {st.best_text()}.",
        ]
        if forced is not None:
            lines.insert(0, f"Drift recommends change_model ({st.rec.reason}); trying model {forced}.")
        return Proposal(tier, overrides, " ".join(lines), model_ref=st.model_ref(overrides))

    def _step_lr(self, st: State) -> Proposal | None:
        """The active lineage's best run again with a smaller learning rate, in that lineage."""
        kind = next((f.kind for f in st.rec.findings if f.kind in LR_STEP), "drift")
        lineage = [p for p in st.view.proposals if p.lineage == st.rec.lineage]
        base = st.best_of(lineage) or st.best_of(list(st.view.proposals))
        lr = st.resolver.value("trainer.lr", base.overrides) if base else None
        if base is None or not isinstance(lr, int | float) or isinstance(lr, bool):
            return None
        new_lr = st.clamp_lr(lr * LR_STEP[kind])
        overrides = {**base.overrides, "trainer.lr": new_lr}
        if new_lr == lr or st.point(overrides) in st.tried_points():
            return None
        value = st.view.value(base.id) or 0.0
        rationale = (
            f"tier {st.entry_tier(overrides)}, change_lr: {st.rec.reason}. Proposal #{base.seq} "
            f"({st.metric}={value:.4g}) again with trainer.lr {lr:.3g} -> {new_lr:.3g} (x{LR_STEP[kind]:g}), "
            "in its lineage so drift compares like with like."
        )
        tier = st.entry_tier(overrides)
        return Proposal(tier, overrides, rationale, parent_id=base.id, model_ref=st.model_ref(overrides))
