"""The campaign dashboard page: cards, charts, the ranked table, decisions, models, analysis.

`render_dashboard` turns gathered `DashboardData` into the values `templates/dashboard.html.j2`
lays out; `write_dashboard` gathers and writes it atomically (a viewer never sees half a file,
and a failed write leaves the previous dashboard in place). The template autoescapes every
string, every number goes through the formatters, and the page has no script, so a hostile
override or rationale stays text.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from sentinel.agent.dashboard._format import DASH, num, pct, seconds
from sentinel.agent.dashboard._html import Card, Cell, Table, chart, render
from sentinel.agent.dashboard.analysis import analysis, config_text
from sentinel.agent.dashboard.data import DashboardData, RunView, gather
from sentinel.agent.dashboard.svg import PALETTE, Lane, Marker, Series, line_chart, timeline_chart

if TYPE_CHECKING:
    from sentinel.agent.store import FeedbackStore

__all__ = ["MAX_PLOTTED", "render_dashboard", "write_campaign_dashboard", "write_dashboard"]

_log = logging.getLogger(__name__)

MAX_PLOTTED = 40  # runs drawn in the curve charts (best first); the table lists every run
ACTION_SHAPES = {"lr_cut": "triangle", "rollback": "diamond", "reinit": "square", "stop": "cross"}
DECISION_COLORS = {
    "approved": "#2ca02c",
    "rejected": "#9467bd",
    "validator_rejected": "#d62728",
    "escalated": "#1f77b4",
}


def _color(view: RunView) -> str:
    return PALETTE[(view.seq - 1) % len(PALETTE)]


def _cards(d: DashboardData) -> list[Card]:
    counts = Counter(v.run.status for v in d.runs)
    status_line = " · ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.most_common())
    best = d.best
    gain = d.improvement()
    rec = d.recommendation
    findings = ", ".join(f.kind.replace("_", " ") for f in rec.findings) or "none"
    last_escalation = d.escalations[-1].reason if d.escalations else ""
    c = d.compute
    saved = f"saved by the monitor ≈ {seconds(c.saved_s)} ({c.stopped_early} run(s) stopped early"
    saved += f", {c.unestimated} without an estimate)" if c.unestimated else ")"
    if best is not None:
        best_lines = [
            [Cell(f"run #{best.seq} · "), Cell(best.run.run_id, "code")],
            [Cell(config_text(best), "code")],
        ]
    else:
        best_lines = [[Cell("no completed run yet")]]
    if gain and d.first and best:
        gain_line = f"{num(d.first.value)} (#{d.first.seq}) → {num(best.value)} (#{best.seq})"
    else:
        gain_line = "needs a completed first run and a best run"
    return [
        Card("Runs", str(len(d.runs)), [[Cell(status_line or "no runs yet")]], of=str(d.budget_runs)),
        Card(f"Best {d.metric}", num(best.value) if best else DASH, best_lines),
        Card(
            "Improvement over the first run",
            pct(gain[1]) if gain and gain[1] is not None else DASH,
            [[Cell(gain_line)]],
        ),
        Card(
            "Drift / stagnation",
            rec.action.replace("_", " "),
            [[Cell(rec.reason)], [Cell(f"signals: {findings}")]],
        ),
        Card(
            "Tier reached",
            str(d.campaign.tier),
            [
                [Cell(f"{len(d.escalations)} escalation(s)")],
                [Cell(last_escalation)] if last_escalation else [],
            ],
            of=str(d.max_tier),
        ),
        Card(
            "Compute",
            seconds(c.used_s),
            [
                [Cell(saved)],
                [Cell(f"{c.interventions} monitor intervention(s) in {c.runs_with_interventions} run(s)")],
            ],
        ),
    ]


def _progression(d: DashboardData) -> Markup:
    sign = 1.0 if d.mode == "min" else -1.0
    points: list[tuple[float, float]] = []
    other: list[tuple[float, float]] = []
    best_so_far: list[tuple[float, float]] = []
    current = math.inf
    for v in d.runs:
        if v.value is None:
            continue
        (points if v.rank is not None else other).append((float(v.seq), v.value))
        if v.rank is not None and sign * v.value < current:
            current = sign * v.value
        if math.isfinite(current):
            best_so_far.append((float(v.seq), sign * current))
    series = [
        Series("best so far", best_so_far, "#1d2430", 2.2, style="step"),
        Series(f"{d.metric} of a completed run", points, PALETTE[0], style="points"),
    ]
    if other:
        series.append(Series("best point of a run that did not complete", other, "#7f7f7f", style="points"))
    if d.target is not None and points:
        xs = [x for x, _ in points + other]
        series.append(
            Series(
                f"target {num(d.target)}",
                [(min(xs), d.target), (max(xs), d.target)],
                "#d62728",
                1.2,
                dashed=True,
            )
        )
    return chart(
        line_chart(
            "progression",
            series,
            title=f"Metric progression: {d.metric}, best so far per run",
            x_label="run (proposal #)",
            y_label=d.metric,
            log_y=False,
        )
    )


def _plotted(d: DashboardData) -> list[RunView]:
    return [v for v in d.ranked if v.curves.train_loss or v.curves.val][:MAX_PLOTTED]


def _loss_at(points: tuple[tuple[int, float], ...], step: int) -> float:
    before = [y for x, y in points if x <= step]
    return before[-1] if before else math.nan


def _curves(d: DashboardData) -> Markup:
    plotted = _plotted(d)
    best_id = d.best.run.run_id if d.best else None
    series, val_series, markers = [], [], []
    for v in plotted:
        is_best = v.run.run_id == best_id
        label = f"#{v.seq} {v.run.status}" + (" (best)" if is_best else "")
        width, opacity = (2.6, 1.0) if is_best else (1.3, 0.75)
        if v.curves.train_loss:
            series.append(Series(label, v.curves.train_loss, _color(v), width, opacity))
        val = v.curves.val.get(d.metric)
        if val:
            val_series.append(Series(label, val, _color(v), width, opacity))
        for e in v.interventions:
            markers.append(
                Marker(
                    float(e.step),
                    _loss_at(v.curves.train_loss, e.step),
                    f"run #{v.seq}: {e.anomaly} at step {e.step}, action {e.action}",
                    shape=ACTION_SHAPES.get(e.action, "circle"),
                    group=f"monitor: {e.action}",
                )
            )
    train = line_chart(
        "train-loss",
        series,
        markers,
        title="Training loss of every run, monitor interventions marked",
        x_label="step",
        y_label="train/loss",
    )
    parts = [train]
    if d.metric.startswith("val/"):
        parts.append(
            line_chart(
                "val-metric",
                val_series,
                title=f"Validation {d.metric} of every run",
                x_label="step",
                y_label=d.metric,
            )
        )
    return chart("".join(parts))


def _hidden(d: DashboardData) -> int:
    """Runs with curves that the charts leave out (the table still lists them)."""
    return sum(1 for v in d.runs if v.curves.train_loss or v.curves.val) - len(_plotted(d))


def _monitor_cell(v: RunView) -> str:
    if not v.interventions:
        return DASH
    actions = Counter(e.action for e in v.interventions)
    text = ", ".join(f"{a}×{n}" if n > 1 else a for a, n in actions.most_common())
    if v.stopped_by_monitor:
        text += "; stopped early" + (f", saved ≈ {seconds(v.saved_s)}" if v.saved_s else "")
    return text


def _other_metrics(v: RunView, metric: str) -> str:
    # The run's own claims (its best point), beside the trusted number the table ranks.
    parts = [
        f"claimed {k} {num(val)}" if k == metric else f"{k} {num(val)}"
        for k, val in sorted(v.run.best.items())
    ]
    return " · ".join(parts) if parts else DASH


def _table(d: DashboardData) -> Table:
    headers = [
        "rank",
        "#",
        "run",
        "status",
        "tier",
        "config",
        f"{d.metric} (trusted, test split)",
        "final",
        "other metrics",
        "steps",
        "time",
        "isolation",
        "monitor",
        "note",
    ]
    rows = []
    for v in d.ranked:
        r = v.run
        rows.append(
            [
                Cell(str(v.rank) if v.rank is not None else DASH),
                Cell(str(v.seq)),
                Cell(r.run_id, "code"),
                Cell(r.status, "badge"),
                Cell(str(r.proposal.tier)),
                Cell(config_text(v), "code"),
                Cell(num(v.value)),
                Cell(num(v.final)),
                Cell(_other_metrics(v, d.metric)),
                Cell(num(r.steps, 9) if r.steps is not None else DASH),
                Cell(seconds(r.duration_s)),
                Cell(r.isolation or DASH),
                Cell(_monitor_cell(v)),
                Cell(r.reason or v.curves.note or "", "note"),
            ]
        )
    return Table.of(headers, rows, numeric=(0, 1, 4, 6, 7, 9, 10), classes={2: "id", 5: "cfg"})


def _timeline_chart(d: DashboardData) -> Markup:
    lanes = []
    for kind, label in (
        ("approved", "approved"),
        ("rejected", "rejected by reviewer"),
        ("validator_rejected", "rejected by validator"),
        ("escalated", "tier escalation"),
    ):
        pts = [(e.at, DECISION_COLORS[kind], _entry_text(e)) for e in d.timeline if e.kind == kind]
        if pts:
            lanes.append(Lane(label, pts))
    return chart(timeline_chart("approvals", lanes, title="Approval timeline", start=d.campaign.created_at))


def _entry_text(e: object) -> str:
    seq = getattr(e, "proposal_seq", None)
    return (f"proposal #{seq} " if seq is not None else "") + str(getattr(e, "text", ""))


def _models(d: DashboardData) -> Table:
    rows = [
        [
            Cell(str(m.proposal.seq)),
            Cell(m.proposal.model_ref, "code"),
            Cell(str(m.proposal.tier)),
            Cell(m.verdict, "badge"),
            Cell(m.reason, "note"),
            Cell(m.run_status, "badge") if m.run_status else Cell(DASH),
            Cell(num(m.value)),
        ]
        for m in d.models
    ]
    return Table.of(["#", "model", "tier", "validator", "reason", "run", d.metric], rows, numeric=(0, 2, 6))


def render_dashboard(d: DashboardData) -> str:
    """The whole page as one string (UTF-8 HTML, self-contained), from dashboard.html.j2."""
    best = d.best
    return render(
        "dashboard.html.j2",
        title=f"Sentinel · {d.campaign.id}",
        c=d.campaign,
        metric=d.metric,
        mode=d.mode,
        generated_at=d.generated_at,
        cards=_cards(d),
        progression=_progression(d),
        curves=_curves(d),
        hidden=_hidden(d),
        runs=_table(d),
        timeline_chart=_timeline_chart(d),
        timeline=[{"at": e.at, "kind": e.kind, "text": _entry_text(e)} for e in d.timeline],
        models=_models(d),
        analysis=analysis(d),
        rationale=best.run.proposal.rationale if best is not None else "",
    )


def write_dashboard(store: FeedbackStore, campaign_id: str, out: Path, runs_dir: Path | None = None) -> Path:
    """Gather, render and atomically write the campaign's dashboard to `out`; returns `out`."""
    html_text = render_dashboard(gather(store, campaign_id, runs_dir))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(html_text, encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def write_campaign_dashboard(store: FeedbackStore, campaign_id: str, runs_dir: Path) -> str:
    """The campaign loop's end-of-campaign hook: write `<runs>/<campaign>/dashboard.html`.

    Returns the note the loop prints. Never raises an Exception: a dashboard is a report, and
    failing to write one must not fail (or un-finish) the campaign it reports on.
    """
    try:
        path = write_dashboard(store, campaign_id, runs_dir / campaign_id / "dashboard.html", runs_dir)
    except Exception as err:
        _log.warning("dashboard of %s not written", campaign_id, exc_info=True)
        return f"dashboard not written ({type(err).__name__}); `sentinel dashboard {campaign_id}` retries"
    return f"dashboard: {path}"
