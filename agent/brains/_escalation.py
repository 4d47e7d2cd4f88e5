"""The strategist's tier-2 and tier-3 moves: a config variant, or a new architecture.

Both write through the tools (tier2.create_config_variant, tier3.register_generated_model),
so they pass the same validator gates an LLM's calls would, and both are idempotent: after a
crash between writing a file and recording the proposal, the same call writes the same bytes
again. A move that cannot be made returns None and the strategist tries its next move.
"""

from __future__ import annotations

import hashlib

from sentinel.agent.brains._architectures import Hints, design, render
from sentinel.agent.brains._base import Proposal
from sentinel.agent.brains._state import STAGNATION, State, fmt
from sentinel.agent.brains._variants import WIDTH_KEYS, VariantPlan, plans
from sentinel.agent.errors import EntryExists
from sentinel.agent.store import ProposalRecord
from sentinel.agent.tools import ToolContext, ToolInputError
from sentinel.agent.tools import tier2 as tools2
from sentinel.agent.tools import tier3 as tools3
from sentinel.contract.registry import TARGETS

__all__ = ["CLASS_NAME", "architecture_name", "new_architecture", "next_variant"]

CLASS_NAME = "GeneratedNet"
MAX_DESIGNS = 8  # redraws when a design repeats an earlier one of this campaign or is refused
FAMILIES = {"MLP": "mlp", "CNN1d": "cnn1d", "ResNet1d": "resnet1d", "TransformerEncoder1d": "transformer"}


def _trigger(st: State, exhausted: bool, stalled: int) -> str:
    if exhausted:
        return "the tier-1 search space is exhausted"
    if st.rec.action in ("escalate", "change_model") or any(f.kind in STAGNATION for f in st.rec.findings):
        return f"drift says {st.rec.action}: {st.rec.reason}"
    return f"no new best in the last {stalled} finished proposals"


# tier 2 ---------------------------------------------------------------------------------------
def next_variant(st: State, exhausted: bool, stalled: int) -> Proposal | None:
    """The first rung of the variant ladder this campaign has not used, on the best run so far."""
    best = st.view.best()
    if best is None:
        return None  # nothing has trained yet: there is no config worth varying
    parent, value = best
    picks = st.resolver.picks(parent.overrides)
    found = {g: (picks.get(g, ""), st.entry(g, picks.get(g))) for g in ("model", "trainer")}
    usable = {g: (name, entry) if entry else None for g, (name, entry) in found.items()}
    unstable = any(f.kind == "instability" for f in st.rec.findings)
    used = {str(v) for p in st.view.proposals for g, v in p.overrides.items() if g in ("model", "trainer")}
    tctx = ToolContext.from_campaign(st.ctx)
    for plan in plans(usable["model"], usable["trainer"], set(st.space.keys), unstable):
        if plan.name in used or plan.alt_name in used:
            continue
        name = _write_variant(tctx, plan)
        if name is not None:
            return _variant_proposal(st, plan, name, parent, value, _trigger(st, exhausted, stalled))
    return None


def _write_variant(tctx: ToolContext, plan: VariantPlan) -> str | None:
    for name in (plan.name, plan.alt_name):
        try:
            written = tools2.create_config_variant(tctx, plan.group, plan.base, name, dict(plan.changes))
        except EntryExists:
            continue  # another file holds the plain name: use the digest-suffixed one
        except ToolInputError:
            return None  # the variant does not fit this experiment: the caller tries the next rung
        return written.name
    return None


def _variant_proposal(
    st: State, plan: VariantPlan, name: str, parent: ProposalRecord, value: float, trigger: str
) -> Proposal:
    overrides = {**parent.overrides, plan.group: name}
    lr_note = ""
    if plan.lr_factor != 1.0:
        lr = st.resolver.value("trainer.lr", parent.overrides)
        if isinstance(lr, int | float) and not isinstance(lr, bool):
            overrides["trainer.lr"] = st.clamp_lr(lr * plan.lr_factor)
            lr_note = f", trainer.lr {lr:.3g} -> {overrides['trainer.lr']:.3g}"
    others = {k: v for k, v in overrides.items() if v != name}
    tier = max(3 if st.generated(plan.group, plan.base) else 2, st.entry_tier(others))
    rationale = (
        f"tier {tier}, config variant: {trigger}. New {plan.group} entry {name} = {plan.base} with "
        f"{plan.wording}{lr_note}, on the best run so far (#{parent.seq}, {st.metric}={value:.4g}), "
        f"keeping its other overrides; derived from #{parent.seq} so drift judges it within that lineage."
    )
    model_ref = name if plan.group == "model" and tier == 3 else st.model_ref(overrides)
    return Proposal(tier, overrides, rationale, parent_id=parent.id, model_ref=model_ref)


# tier 3 ---------------------------------------------------------------------------------------
def architecture_name(campaign_id: str, k: int) -> str:
    """Unique per campaign and generation, stable across a resume, safe as a module name."""
    return f"arch_{hashlib.sha256(campaign_id.encode()).hexdigest()[:6]}_{k}"


def _hints(st: State) -> Hints:
    best = st.view.best()
    if best is None:
        return Hints()
    entry = st.entry("model", st.model_of(best[0])) or {}
    target = str(entry.get("_target_"))
    family = FAMILIES.get(target.rsplit(".", 1)[-1]) if target in TARGETS else "generated"
    return Hints(family, next((entry[k] for k in WIDTH_KEYS if isinstance(entry.get(k), int)), None))


def _earlier_sources(st: State) -> set[str]:
    folder = ToolContext.from_campaign(st.ctx).root / "generated" / "models"
    out = set()
    for p in st.view.proposals:
        path = folder / f"{p.model_ref}.py"
        if p.tier == 3 and p.model_ref and path.is_file() and not path.is_symlink():
            out.add(path.read_text(encoding="utf-8"))
    return out


def new_architecture(st: State, exhausted: bool) -> Proposal | None:
    """Design, render, validate and register architecture k (k-th of this campaign), then
    propose it with the best run's trainer settings."""
    k = 1 + sum(1 for p in st.view.proposals if p.tier == 3 and p.model_ref)
    cid = st.ctx.campaign_id
    name = architecture_name(cid, k)
    ended = [p for p in st.view.proposals if p.id in st.view.finished]
    history = "|".join(f"{p.seq}:{st.view.finished[p.id].status}:{fmt(st.view.value(p.id))}" for p in ended)
    earlier, hints = _earlier_sources(st), _hints(st)
    doc = (
        f"Generated by Sentinel's offline strategist (tier 3) for campaign {cid}, architecture {k}. "
        "Validated on the host before registration; imported only inside a run's container."
    )
    tctx = ToolContext.from_campaign(st.ctx)
    for attempt in range(MAX_DESIGNS):
        genome = design(st.ctx.seed, f"{cid}|{k}|{history}|{attempt}", hints)
        source = render(genome, CLASS_NAME, doc)
        if source in earlier:
            continue
        try:  # the tool runs the validator's policy first and answers with its typed verdict
            registered = tools3.register_generated_model(tctx, source, name, genome.params(), CLASS_NAME)
        except ToolInputError:
            return None  # the name is taken by something else in configs/: nothing to propose
        if registered.accepted:
            return _architecture_proposal(st, name, genome.describe(), source, exhausted)
    return None


def _architecture_proposal(st: State, name: str, described: str, source: str, exhausted: bool) -> Proposal:
    best = st.view.best()
    keep = {k: v for k, v in (best[0].overrides if best else {}).items() if k.startswith("trainer.")}
    sha = hashlib.sha256(source.encode()).hexdigest()[:12]
    carried = (
        f"trainer settings of the best run #{best[0].seq} ({st.metric}={best[1]:.4g})" if best else "defaults"
    )
    rationale = (
        f"tier 3, new architecture: {_trigger(st, exhausted, 0)}. Every known model has run (best "
        f"{st.metric}: {st.model_results()}). Generated {name} from block templates: {described}. It "
        f"passed the validator (source sha256 {sha}), is registered as model={name} and starts from "
        f"the {carried}."
    )
    return Proposal(3, {**keep, "model": name}, rationale, model_ref=name)
