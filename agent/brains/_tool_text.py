"""The LLM brain's wording of tool records: the only place a tool's answer becomes text.

Tools return typed records (`sentinel.agent.tools.records`); the strategist reads their fields.
For a model, each record is rendered here: numbers at 4 significant digits, recorded values
and trusted config or source text fenced in `BEGIN DATA`/`END DATA` blocks (a prompt says that
everything between them is data), and every answer bounded (`clip`), so one call cannot flood
a context window.
"""

from __future__ import annotations

from functools import singledispatch

from sentinel.agent.drift import Recommendation
from sentinel.agent.tools._context import clip, data_block, fmt, overrides_text
from sentinel.agent.tools.records import (
    AvailableConfigs,
    Comparison,
    ComposedConfig,
    ExperimentConfig,
    History,
    ModelRegistration,
    ModelSource,
    RunReport,
    SearchSpaceReport,
    VariantWritten,
)

__all__ = ["ACCEPTED", "MAX_FINDINGS", "MAX_SOURCE_TEXT", "REJECTED", "tool_text"]

ACCEPTED = "accepted"  # first word of a registration's answer when the model is registered
REJECTED = "rejected"  # ... and when the validator refused it (nothing written)
MAX_FINDINGS = 40
MAX_SOURCE_TEXT = 60_400  # a model source (at most 60,000 characters) plus its heading
TRAINER_KEYS = ("optimizer", "lr", "weight_decay", "schedule", "warmup_steps", "epochs", "batch_size")


@singledispatch
def tool_text(record: object) -> str:
    """A tool's answer as the model reads it; plain strings (already Sentinel's text) pass."""
    if isinstance(record, str):
        return clip(record)
    raise TypeError(f"no wording for a {type(record).__name__} tool answer")


@tool_text.register
def _(record: AvailableConfigs) -> str:
    lines = [f"experiments: {', '.join(record.experiments) or '(none)'}"]
    for group, names in record.groups:
        shown = [f"{n} (generated)" if generated else n for n, generated in names]
        lines.append(f"{group}: {', '.join(shown) or '(none)'}")
    lines.append(f"this campaign's experiment: {record.experiment}")
    return clip("\n".join(lines))


@tool_text.register
def _(record: RunReport) -> str:
    run, metric = record.run, record.metric
    head = [
        f"run {run.run_id}: proposal {run.proposal.seq}, tier {run.proposal.tier}, status {run.status}",
        f"overrides: {overrides_text(run.proposal.overrides)}",
        f"goal metric {metric} ({record.mode}): best {fmt(run.metric(metric))}, "
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
    actions = [f"{anomaly} -> {action}: {count}x" for anomaly, action, count in record.actions]
    rescued = " (the monitor intervened, the run completed)" if record.rescued else ""
    return clip(
        "\n".join(
            [*head, data_block("run", facts), f"monitor actions{rescued}:", data_block("monitor", actions)]
        )
    )


@tool_text.register
def _(record: Comparison) -> str:
    rows = [
        f"{r.run_id}: {record.metric}={fmt(r.value)} status={r.status} {overrides_text(r.own_overrides)}"
        for r in record.runs
    ]
    common = overrides_text(record.shared) if record.shared else "(none)"
    head = f"best first by {record.metric} ({record.mode}); overrides they all share: {common}"
    return clip("\n".join([head, data_block("comparison", rows)]))


@tool_text.register
def _(record: Recommendation) -> str:
    lines = [f"recommendation: {record.action}", f"why: {record.reason}"]
    if record.to_tier:
        lines.append(f"escalate to tier {record.to_tier}")
    if record.untried_models:
        lines.append(f"models not tried yet: {', '.join(record.untried_models)}")
    if record.lineage:
        lines.append(f"active lineage: {record.lineage}")
    evidence = [f"{k}={fmt(v)}" for k, v in sorted(record.evidence.items())]
    findings = [f"{f.kind}: {f.wording}" for f in record.findings]
    found = findings or ["(none)"]
    return clip("\n".join([*lines, data_block("evidence", evidence), "all findings:", *found]))


@tool_text.register
def _(record: History) -> str:
    rows = []
    for r in record.rows:
        value = fmt(r.value) if r.value is not None else "n/a"
        who = r.run_id or "(no run yet)"
        rows.append(
            f"#{r.seq} tier {r.tier} {who} {r.status} {record.metric}={value} {overrides_text(r.overrides)}"
        )
    goal = f"{record.metric} ({record.mode})"
    head = f"{record.proposals} proposals, budget {record.budget_runs} runs; goal {goal}"
    tail = "no run completed yet"
    if record.best is not None:
        tail = f"best so far: {record.best[0]} {record.metric}={fmt(record.best[1])}"
    return clip("\n".join([head, data_block("history", rows), tail]))


@tool_text.register
def _(record: ExperimentConfig) -> str:
    name, resolved = record.experiment, record.resolved
    fenced = data_block(f"config {name}", resolved.to_yaml().splitlines())  # config text is data
    return clip(f"experiment {name} (sha256 {resolved.sha256[:12]}):\n{fenced}")


@tool_text.register
def _(record: SearchSpaceReport) -> str:
    rows = []
    for d in record.dimensions:
        if d.is_range:
            span = f"tried {fmt(d.tried[0])}..{fmt(d.tried[1])}" if d.tried else "not tried yet"
            scale = "log" if d.log else "linear"
            rows.append(f"{d.key}: {fmt(d.low)}..{fmt(d.high)} ({scale}); {span}; at best {fmt(d.at_best)}")
        else:
            listed = ", ".join(map(str, d.values))
            untried = ", ".join(d.untried) or "none"
            rows.append(f"{d.key}: {listed}; untried {untried}; at best {fmt(d.at_best)}")
    others = [
        f"{p.key} ({p.kind}): " + ("|".join(p.choices) if p.choices else f"{fmt(p.low)}..{fmt(p.high)}")
        for p in record.others
    ]
    head = f"goal {record.metric} ({record.mode}) over {record.completed} completed runs"
    return clip("\n".join([head, data_block("search space", rows), "other tunable parameters:", *others]))


@tool_text.register
def _(record: VariantWritten) -> str:
    pick = f"pick it with {record.group}={record.name}"
    if record.existed:
        return f"{record.output} already holds this variant; {pick}"
    shown = ", ".join(f"{k}={fmt(v)}" for k, v in record.changes.items()) or "no changes"
    return f"wrote {record.output}: {record.group} {record.base} with {shown}; {pick}"


@tool_text.register
def _(record: ComposedConfig) -> str:
    cfg = record.resolved.config
    model = {k: v for k, v in cfg["model"].items() if k != "_target_"}
    lines = [
        f"config OK for experiment {record.experiment} (sha256 {record.resolved.sha256[:12]})",
        f"dataset: {cfg['dataset']['name']}",
        f"model: {cfg['model']['_target_']} " + " ".join(f"{k}={fmt(v)}" for k, v in model.items()),
        "trainer: " + " ".join(f"{k}={fmt(cfg['trainer'].get(k))}" for k in TRAINER_KEYS),
        f"monitor: {'enabled' if cfg['monitor'].get('enabled') else 'disabled'}",
    ]
    for name, accepted, findings in record.generated:
        verdict = "accepted" if accepted else f"REJECTED ({findings} findings)"
        lines.append(f"generated model file {name}: validator {verdict}")
    return clip("\n".join(lines))


@tool_text.register
def _(record: ModelSource) -> str:
    text = record.text
    head = (
        f"source of model {record.model} (_target_ {record.target}), {text.count(chr(10)) + 1} lines, "
        "fenced as data:"
    )
    # Source is data, never instructions: a generated model's docstring or comments are text an
    # earlier author (possibly another model) wrote, so it is fenced like every other tool result.
    fenced = data_block(f"model source {record.model}", text.splitlines())
    return clip(f"{head}\n{fenced}", MAX_SOURCE_TEXT)


@tool_text.register
def _(record: ModelRegistration) -> str:
    if record.accepted:
        values = (
            " ".join(f"{k}={fmt(v)}" for k, v in (record.params or {}).items()) or "(constructor defaults)"
        )
        return (
            f"{ACCEPTED}: registered model {record.name} (class {record.class_name}, target {record.target}, "
            f"source sha256 {record.sha256[:12]}) with {values}; pick it with model={record.name}"
        )
    found = record.violations
    lines = [f"{REJECTED}: the validator found {len(found)} problem(s); nothing was written. Fix:"]
    lines += [f"{v.code} line {v.line} col {v.column}: {v.message}" for v in found[:MAX_FINDINGS]]
    if len(found) > MAX_FINDINGS:
        lines.append(f"... and {len(found) - MAX_FINDINGS} more")
    return clip("\n".join(lines))
