"""Tier 1 tools: read the campaign (history, runs, drift, configs, search space), change nothing.

Everything returned comes from the FeedbackStore (numbers, enumerated statuses, checked
identifiers, Sentinel's wording), the goal and the trusted config files, never from a run's
artifacts directly; recorded values are fenced in `BEGIN DATA`/`END DATA` blocks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from sentinel.agent.configs import GROUP_DIRS, compose, entries, experiments
from sentinel.agent.drift import assess_campaign
from sentinel.agent.errors import BadInput
from sentinel.agent.goals import Choices, Range
from sentinel.agent.store import RunRecord, StoreError
from sentinel.agent.tools._context import (
    ToolContext,
    ToolInputError,
    check_int,
    check_run_id,
    clip,
    data_block,
    fmt,
    overrides_text,
)
from sentinel.contract.registry import EXPERIMENT_NAME, TARGETS

__all__ = [
    "check_drift",
    "compare_runs",
    "get_experiment_history",
    "list_available_configs",
    "read_experiment_config",
    "read_run_results",
    "suggest_search_space",
]

MAX_COMPARE = 8


def list_available_configs(ctx: ToolContext) -> str:
    """List the experiments and every config group entry that can be picked, built-in and generated.

    Use the names with group overrides such as `model=cnn1d` or `trainer=default_warm_cosine`.
    """
    lines = [f"experiments: {', '.join(experiments(ctx.configs_dir)) or '(none)'}"]
    for group in GROUP_DIRS:
        names = entries(ctx.configs_dir, group, ctx.generated_root)
        builtin = set(_builtin(ctx, group))
        shown = [n if n in builtin else f"{n} (generated)" for n in names]
        lines.append(f"{group}: {', '.join(shown) or '(none)'}")
    lines.append(f"this campaign's experiment: {ctx.goal.experiment}")
    return clip("\n".join(lines))


def read_run_results(ctx: ToolContext, run_id: str) -> str:
    """Show one run of this campaign: its status, overrides, best and final metrics, monitor actions.

    Args:
        run_id: A run id of this campaign, as listed by get_experiment_history.
    """
    run = _run(ctx, run_id)
    metric = ctx.goal.metric.name
    head = [
        f"run {run.run_id}: proposal {run.proposal.seq}, tier {run.proposal.tier}, status {run.status}",
        f"overrides: {overrides_text(run.proposal.overrides)}",
        f"goal metric {metric} ({ctx.goal.metric.mode}): best {fmt(run.metric(metric))}, "
        f"final {fmt(run.metric(metric, 'final'))}",
    ]
    facts = [
        f"epochs={fmt(run.epochs)} steps={fmt(run.steps)} duration_s={fmt(run.duration_s)}",
        f"summary_reason={fmt(run.summary_reason)} exit_code={fmt(run.exit_code)}",
        f"metric_lines={run.metric_lines} nonfinite_lines={run.nonfinite_lines}",
        f"initial_lr={fmt(run.initial_lr)} monitor_events={run.event_count}",
        *(f"best {k}={fmt(v)}" for k, v in sorted(run.best.items())),
        *(f"final {k}={fmt(v)}" for k, v in sorted(run.final.items())),
    ]
    if run.proposal.model_ref:
        head.append(f"generated model: {run.proposal.model_ref}")
    if run.proposal.parent_id is not None:
        head.append(f"derived from proposal id {run.proposal.parent_id} (lineage {run.lineage})")
    events = Counter((e.anomaly, e.action) for e in ctx.store.events(run.run_id))
    actions = [f"{anomaly} -> {action}: {count}x" for (anomaly, action), count in sorted(events.items())]
    rescued = " (the monitor intervened, the run completed)" if events and run.status == "completed" else ""
    return clip(
        "\n".join(
            [*head, data_block("run", facts), f"monitor actions{rescued}:", data_block("monitor", actions)]
        )
    )


def compare_runs(ctx: ToolContext, run_ids: list[str]) -> str:
    """Compare up to 8 runs of this campaign side by side on the goal metric, best first.

    Args:
        run_ids: Run ids of this campaign (2 to 8), as listed by get_experiment_history.
    """
    if not isinstance(run_ids, list | tuple) or not 2 <= len(run_ids) <= MAX_COMPARE:
        raise ToolInputError(f"run_ids must be a list of 2..{MAX_COMPARE} run ids")
    runs = [_run(ctx, r) for r in dict.fromkeys(run_ids)]
    metric, mode = ctx.goal.metric.name, ctx.goal.metric.mode
    runs.sort(key=lambda r: _rank(r.metric(metric) if r.status == "completed" else None, mode))
    shared = _shared_overrides(runs)
    rows = []
    for run in runs:
        own = {k: v for k, v in run.proposal.overrides.items() if k not in shared}
        value = run.metric(metric) if run.status == "completed" else None
        rows.append(f"{run.run_id}: {metric}={fmt(value)} status={run.status} {overrides_text(own)}")
    common = overrides_text(shared) if shared else "(none)"
    head = f"best first by {metric} ({mode}); overrides they all share: {common}"
    return clip("\n".join([head, data_block("comparison", rows)]))


def check_drift(ctx: ToolContext) -> str:
    """Assess the campaign's history for drift, instability and stagnation, and say what to do next.

    The answer is one of continue, change_lr, change_model, escalate or stop, with its evidence.
    """
    rec = assess_campaign(ctx.store, ctx.campaign_id)
    lines = [f"recommendation: {rec.action}", f"why: {rec.reason}"]
    if rec.to_tier:
        lines.append(f"escalate to tier {rec.to_tier}")
    if rec.untried_models:
        lines.append(f"models not tried yet: {', '.join(rec.untried_models)}")
    if rec.lineage:
        lines.append(f"active lineage: {rec.lineage}")
    evidence = [f"{k}={fmt(v)}" for k, v in sorted(rec.evidence.items())]
    findings = [f"{f.kind}: {f.wording}" for f in rec.findings]
    found = findings or ["(none)"]
    return clip("\n".join([*lines, data_block("evidence", evidence), "all findings:", *found]))


def get_experiment_history(ctx: ToolContext, last: int = 20) -> str:
    """List this campaign's proposals in order with status, goal metric and overrides.

    Args:
        last: How many of the most recent proposals to show, 1 to 100.
    """
    check_int("last", last, 1, 100)
    metric = ctx.goal.metric.name
    ended = {run.proposal.id: run for run in ctx.store.history(ctx.campaign_id)}
    proposals = ctx.store.proposals(ctx.campaign_id)
    rows = []
    for p in proposals[-last:]:
        run = ended.get(p.id)
        status = run.status if run else p.state
        value = fmt(run.metric(metric)) if run and run.status == "completed" else "n/a"
        who = run.run_id if run else "(no run yet)"
        rows.append(f"#{p.seq} tier {p.tier} {who} {status} {metric}={value} {overrides_text(p.overrides)}")
    best = ctx.store.best_runs(metric, ctx.goal.metric.mode, campaign_id=ctx.campaign_id, k=1)
    goal = f"{metric} ({ctx.goal.metric.mode})"
    head = f"{len(proposals)} proposals, budget {ctx.goal.budget.runs} runs; goal {goal}"
    tail = "no run completed yet"
    if best:
        tail = f"best so far: {best[0].run_id} {metric}={fmt(best[0].metric(metric))}"
    return clip("\n".join([head, data_block("history", rows), tail]))


def read_experiment_config(ctx: ToolContext, experiment: str = "") -> str:
    """Show an experiment's fully resolved run config (YAML) as the container would receive it.

    Args:
        experiment: Experiment name; empty means this campaign's experiment.
    """
    name = _experiment(ctx, experiment)
    try:
        resolved = compose(name, [], ctx.configs_dir, ctx.generated_root)
    except BadInput as err:
        raise ToolInputError(str(err)) from None
    fenced = data_block(f"config {name}", resolved.to_yaml().splitlines())  # config text is data
    return clip(f"experiment {name} (sha256 {resolved.sha256[:12]}):\n{fenced}")


def suggest_search_space(ctx: ToolContext) -> str:
    """Show the goal's search space with what has been tried, and other tunable parameters.

    Each search dimension comes with the range already tried and its value in the best run;
    parameters outside the search are listed with their registry bounds.
    """
    metric, mode = ctx.goal.metric.name, ctx.goal.metric.mode
    completed = [r for r in ctx.store.history(ctx.campaign_id) if r.status == "completed"]
    best = min(completed, key=lambda r: _rank(r.metric(metric), mode), default=None)
    rows = []
    for key, dim in ctx.goal.search_space:
        tried = [r.proposal.overrides[key] for r in completed if key in r.proposal.overrides]
        at_best = best.proposal.overrides.get(key) if best else None
        if isinstance(dim, Range):
            numbers = [float(v) for v in tried if isinstance(v, int | float) and not isinstance(v, bool)]
            span = f"tried {fmt(min(numbers))}..{fmt(max(numbers))}" if numbers else "not tried yet"
            scale = "log" if dim.log else "linear"
            rows.append(f"{key}: {fmt(dim.low)}..{fmt(dim.high)} ({scale}); {span}; at best {fmt(at_best)}")
        elif isinstance(dim, Choices):
            untried = [str(v) for v in dim.values if v not in tried]
            listed = ", ".join(map(str, dim.values))
            rows.append(f"{key}: {listed}; untried {', '.join(untried) or 'none'}; at best {fmt(at_best)}")
    searched = {key for key, _ in ctx.goal.search_space}
    others = _tunable(ctx, searched)
    head = f"goal {metric} ({mode}) over {len(completed)} completed runs"
    return clip("\n".join([head, data_block("search space", rows), "other tunable parameters:", *others]))


# helpers -------------------------------------------------------------------------------------
def _builtin(ctx: ToolContext, group: str) -> list[str]:
    folder = ctx.configs_dir / GROUP_DIRS[group]
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def _run(ctx: ToolContext, run_id: str) -> RunRecord:
    check_run_id(run_id)
    try:
        run = ctx.store.get_run(run_id)
    except StoreError:
        raise ToolInputError(f"no run {run_id!r} (get_experiment_history lists the runs)") from None
    if run.campaign_id != ctx.campaign_id:
        raise ToolInputError(f"run {run_id!r} belongs to another campaign")
    return run


def _rank(value: float | None, mode: str) -> float:
    if value is None or not math.isfinite(value):
        return math.inf
    return value if mode == "min" else -value


def _shared_overrides(runs: Sequence[RunRecord]) -> dict[str, object]:
    first = dict(runs[0].proposal.overrides)
    return {k: v for k, v in first.items() if all(r.proposal.overrides.get(k) == v for r in runs[1:])}


def _experiment(ctx: ToolContext, experiment: str) -> str:
    if not isinstance(experiment, str) or (experiment and not EXPERIMENT_NAME.match(experiment)):
        raise ToolInputError(f"experiment must be a plain experiment name, got {experiment!r:.60}")
    return experiment or ctx.goal.experiment


def _tunable(ctx: ToolContext, searched: set[str]) -> list[str]:
    """`key (kind): bounds` for the default model's and trainer's parameters outside the search."""
    try:
        config = compose(ctx.goal.experiment, [], ctx.configs_dir, ctx.generated_root).config
    except BadInput:
        return []
    lines = []
    for section in ("model", "trainer"):
        target = TARGETS.get(str(config[section].get("_target_")))
        for name, p in target.params.items() if target is not None else ():
            if p.kind in {"int", "float", "str"} and f"{section}.{name}" not in searched:
                bounds = "|".join(p.choices) if p.choices else f"{fmt(p.low)}..{fmt(p.high)}"
                lines.append(f"{section}.{name} ({p.kind}): {bounds}")
    return lines
