"""Tier 1 tools: read the campaign (history, runs, drift, configs, search space), change nothing.

Each returns a typed record (`records.py`) built from the FeedbackStore (numbers, enumerated
statuses, checked identifiers, Sentinel's wording), the goal and the trusted config files,
never from a run's artifacts directly. The LLM brain renders them as text, with recorded
values fenced in `BEGIN DATA`/`END DATA` blocks; the docstrings are what the model reads.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from sentinel.agent.configs import GROUP_DIRS, compose, entries, experiments
from sentinel.agent.drift import Recommendation, assess_campaign
from sentinel.agent.errors import BadInput
from sentinel.agent.goals import Choices, Range
from sentinel.agent.store import RunRecord, StoreError
from sentinel.agent.tools._context import ToolContext, ToolInputError, check_int, check_run_id
from sentinel.agent.tools.records import (
    AvailableConfigs,
    ComparedRun,
    Comparison,
    ExperimentConfig,
    History,
    HistoryRow,
    RunReport,
    SearchDimension,
    SearchSpaceReport,
    TunableParam,
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


def list_available_configs(ctx: ToolContext) -> AvailableConfigs:
    """List the experiments and every config group entry that can be picked, built-in and generated.

    Use the names with group overrides such as `model=cnn1d` or `trainer=default_warm_cosine`.
    """
    groups = []
    for group in GROUP_DIRS:
        builtin = set(_builtin(ctx, group))
        names = entries(ctx.configs_dir, group, ctx.generated_root)
        groups.append((group, tuple((n, n not in builtin) for n in names)))
    return AvailableConfigs(tuple(experiments(ctx.configs_dir)), tuple(groups), ctx.goal.experiment)


def read_run_results(ctx: ToolContext, run_id: str) -> RunReport:
    """Show one run of this campaign: its status, overrides, best and final metrics, monitor actions.

    Args:
        run_id: A run id of this campaign, as listed by get_experiment_history.
    """
    run = _run(ctx, run_id)
    events = Counter((e.anomaly, e.action) for e in ctx.store.events(run.run_id))
    actions = tuple((anomaly, action, count) for (anomaly, action), count in sorted(events.items()))
    return RunReport(run, ctx.goal.metric.name, ctx.goal.metric.mode, actions)


def compare_runs(ctx: ToolContext, run_ids: list[str]) -> Comparison:
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
        rows.append(ComparedRun(run.run_id, run.status, value, own))
    return Comparison(metric, mode, shared, tuple(rows))


def check_drift(ctx: ToolContext) -> Recommendation:
    """Assess the campaign's history for drift, instability and stagnation, and say what to do next.

    The answer is one of continue, change_lr, change_model, escalate or stop, with its evidence.
    """
    return assess_campaign(ctx.store, ctx.campaign_id)


def get_experiment_history(ctx: ToolContext, last: int = 20) -> History:
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
        value = run.metric(metric) if run and run.status == "completed" else None
        status = run.status if run else p.state
        rows.append(HistoryRow(p.seq, p.tier, run.run_id if run else None, status, value, p.overrides))
    best = ctx.store.best_runs(metric, ctx.goal.metric.mode, campaign_id=ctx.campaign_id, k=1)
    top = (best[0].run_id, best[0].metric(metric)) if best else None
    return History(metric, ctx.goal.metric.mode, ctx.goal.budget.runs, len(proposals), tuple(rows), top)


def read_experiment_config(ctx: ToolContext, experiment: str = "") -> ExperimentConfig:
    """Show an experiment's fully resolved run config (YAML) as the container would receive it.

    Args:
        experiment: Experiment name; empty means this campaign's experiment.
    """
    name = _experiment(ctx, experiment)
    try:
        resolved = compose(name, [], ctx.configs_dir, ctx.generated_root)
    except BadInput as err:
        raise ToolInputError(str(err)) from None
    return ExperimentConfig(name, resolved)


def suggest_search_space(ctx: ToolContext) -> SearchSpaceReport:
    """Show the goal's search space with what has been tried, and other tunable parameters.

    Each search dimension comes with the range already tried and its value in the best run;
    parameters outside the search are listed with their registry bounds.
    """
    metric, mode = ctx.goal.metric.name, ctx.goal.metric.mode
    completed = [r for r in ctx.store.history(ctx.campaign_id) if r.status == "completed"]
    best = min(completed, key=lambda r: _rank(r.metric(metric), mode), default=None)
    dims = []
    for key, dim in ctx.goal.search_space:
        tried = [r.proposal.overrides[key] for r in completed if key in r.proposal.overrides]
        at_best = best.proposal.overrides.get(key) if best else None
        if isinstance(dim, Range):
            numbers = [float(v) for v in tried if isinstance(v, int | float) and not isinstance(v, bool)]
            span = (min(numbers), max(numbers)) if numbers else None
            dims.append(SearchDimension(key, dim.low, dim.high, dim.log, tried=span, at_best=at_best))
        elif isinstance(dim, Choices):
            untried = tuple(str(v) for v in dim.values if v not in tried)
            dims.append(SearchDimension(key, values=tuple(dim.values), untried=untried, at_best=at_best))
    searched = {key for key, _ in ctx.goal.search_space}
    return SearchSpaceReport(metric, mode, len(completed), tuple(dims), _tunable(ctx, searched))


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


def _tunable(ctx: ToolContext, searched: set[str]) -> tuple[TunableParam, ...]:
    """The default model's and trainer's parameters outside the search, with their registry bounds."""
    try:
        config = compose(ctx.goal.experiment, [], ctx.configs_dir, ctx.generated_root).config
    except BadInput:
        return ()
    found = []
    for section in ("model", "trainer"):
        target = TARGETS.get(str(config[section].get("_target_")))
        for name, p in target.params.items() if target is not None else ():
            if p.kind in {"int", "float", "str"} and f"{section}.{name}" not in searched:
                choices = tuple(p.choices) if p.choices else ()
                found.append(TunableParam(f"{section}.{name}", p.kind, choices, p.low, p.high))
    return tuple(found)
