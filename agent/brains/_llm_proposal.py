"""`run_training`, the LLM brain's last tool: it turns the agent's choice into a `Proposal`.

It launches nothing, starts no process and writes nothing: it checks the overrides the way the
store and the loop will (override syntax, store patterns, composition, the tier-3 policy for a
generated model, the campaign's tier), then hands the proposal to the `ProposalDesk`, which the
brain reads after the agent's step. The campaign loop then validates, approves and runs it like
any other brain's proposal. Every refusal is a `ToolInputError` whose message tells the agent
what to fix, so one bad call costs a step, never the campaign.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sentinel.agent.brains._base import Proposal, Scalar
from sentinel.agent.configs import GENERATED_DIR, GROUP_DIRS, compose, parse_override
from sentinel.agent.errors import BadInput
from sentinel.agent.store import StoreError
from sentinel.agent.tools import ToolContext, ToolInputError
from sentinel.agent.tools._context import check_run_id, overrides_text
from sentinel.contract.patterns import OVERRIDE_KEY

__all__ = ["MAX_OVERRIDES", "MAX_RATIONALE", "ProposalDesk", "run_training"]

MAX_OVERRIDES = 32
MAX_RATIONALE = 600  # characters of the agent's own wording kept as the proposal's rationale
MAX_VALUE_CHARS = 200


@dataclass
class ProposalDesk:
    """Holds the one proposal an agent run may make. Thread-safe: a ToolCallingAgent runs the
    tool calls of one message in parallel threads, so two run_training calls can race."""

    tier: int  # the campaign's current tier: the highest tier a proposal may need
    proposal: Proposal | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def accept(self, proposal: Proposal) -> bool:
        with self._lock:
            if self.proposal is not None:
                return False
            self.proposal = proposal
            return True


def run_training(
    ctx: ToolContext, desk: ProposalDesk, overrides: list[str], rationale: str, parent_run: str = ""
) -> str:
    """Propose the next training run. Sentinel validates it, asks for approval and runs it in the sandbox.

    Call it exactly once, when you have decided: it ends your turn. The run starts later, after the
    checks; its results appear in get_experiment_history on your next turn. It is refused (with the
    reason) when an override is malformed, does not compose, repeats an earlier proposal, or picks a
    generated entry above the campaign's tier.

    Args:
        overrides: Overrides such as ["model=cnn1d", "trainer.lr=0.003"]: group picks and dotted keys
            with plain values, at most 32; [] runs the experiment's defaults.
        rationale: Why this run is worth its budget, in one to three sentences (shown to the reviewer).
        parent_run: Run id (from get_experiment_history) this run refines, so drift is judged within
            its lineage; empty if none.
    """
    values = _overrides(overrides)
    text = _rationale(rationale)
    parent_id = _parent(ctx, parent_run)
    tier, model_ref = _tier(ctx, values)
    if tier > desk.tier:
        raise ToolInputError(
            f"these overrides pick a tier-{tier} entry but the campaign is at tier {desk.tier}; "
            "pick built-in or lower-tier entries"
        )
    _check_composes(ctx, overrides)
    _check_new(ctx, values)
    proposal = Proposal(tier=tier, overrides=values, rationale=text, model_ref=model_ref, parent_id=parent_id)
    if not desk.accept(proposal):
        raise ToolInputError("a run was already proposed in this turn; only one proposal per turn counts")
    return (
        f"proposal accepted (tier {tier}): {overrides_text(values)}. Sentinel now validates it, asks for "
        "approval and runs it in the sandbox; your turn is over."
    )


# checks ----------------------------------------------------------------------------------------
def _overrides(overrides: object) -> dict[str, Scalar]:
    if not isinstance(overrides, list | tuple) or len(overrides) > MAX_OVERRIDES:
        raise ToolInputError(f"overrides must be a list of at most {MAX_OVERRIDES} 'key=value' strings")
    values: dict[str, Scalar] = {}
    for item in overrides:
        if not isinstance(item, str) or not item.isprintable() or len(item) > MAX_VALUE_CHARS + 60:
            raise ToolInputError(f"each override must be one printable 'key=value' string, got {item!r:.60}")
        try:
            parsed = parse_override(item.strip())
        except BadInput as err:
            raise ToolInputError(str(err)) from None
        if not OVERRIDE_KEY.fullmatch(parsed.key):
            raise ToolInputError(f"override key {parsed.key!r:.60} must be lower case, like trainer.lr")
        if parsed.key in values:
            raise ToolInputError(f"override key {parsed.key!r} is given twice")
        values[parsed.key] = _scalar(parsed.key, parsed.value)
    return values


def _scalar(key: str, value: object) -> Scalar:
    if isinstance(value, bool | int) or (isinstance(value, float) and value == value and abs(value) < 1e300):
        return value  # type: ignore[return-value]
    if isinstance(value, str) and value.isprintable() and len(value) <= MAX_VALUE_CHARS:
        return value
    raise ToolInputError(f"override {key}: the value must be one finite number, a short string or a boolean")


def _rationale(rationale: object) -> str:
    if not isinstance(rationale, str) or not rationale.strip():
        raise ToolInputError("rationale must say, in a sentence or three, why this run is worth running")
    text = " ".join(rationale.split())
    if len(text) > MAX_RATIONALE:
        raise ToolInputError(f"rationale is {len(text)} characters; keep it under {MAX_RATIONALE}")
    return text


def _parent(ctx: ToolContext, parent_run: object) -> int | None:
    if parent_run in ("", None):
        return None
    run_id = check_run_id(parent_run)
    try:
        run = ctx.store.get_run(run_id)
    except StoreError:
        raise ToolInputError(f"no run {run_id!r} (get_experiment_history lists the runs)") from None
    if run.campaign_id != ctx.campaign_id:
        raise ToolInputError(f"run {run_id!r} belongs to another campaign")
    return run.proposal.id


def _tier(ctx: ToolContext, values: dict[str, Scalar]) -> tuple[int, str | None]:
    """The tier a set of picks needs: 3 for a generated model (code), 2 for a YAML variant."""
    tier, model_ref = 1, None
    for group, folder in GROUP_DIRS.items():
        pick = values.get(group)
        if not isinstance(pick, str):
            continue
        generated = ctx.root / GENERATED_DIR / folder
        if group == "model" and (generated / f"{pick}.py").is_file():
            tier, model_ref = 3, pick
        elif (generated / f"{pick}.yaml").is_file():
            tier = max(tier, 2)
    return tier, model_ref


def _check_composes(ctx: ToolContext, overrides: list[str]) -> None:
    """The loop composes and re-validates too; checking here lets the agent fix it in this turn."""
    from sentinel.validator import validate_source

    try:
        resolved = compose(
            ctx.goal.experiment, [o.strip() for o in overrides], ctx.configs_dir, ctx.generated_root
        )
    except BadInput as err:
        raise ToolInputError(f"cannot compose: {err}") from None
    for path in resolved.generated_files:
        if not validate_source(path.read_text(encoding="utf-8"), filename=path.name).accepted:
            raise ToolInputError(f"generated model {path.name} is rejected by the validator")


def _check_new(ctx: ToolContext, values: dict[str, Scalar]) -> None:
    for earlier in ctx.store.proposals(ctx.campaign_id):
        if _same(dict(earlier.overrides), values):
            raise ToolInputError(
                f"these overrides were already proposed as #{earlier.seq} ({earlier.state}); "
                "propose something not tried yet"
            )


def _same(a: dict[str, object], b: dict[str, object]) -> bool:
    return a == b and all(type(a[k]) is type(b[k]) for k in a)
