"""The campaign dashboard page: cards, charts, the ranked table, decisions, models, analysis.

`render_dashboard` turns gathered `DashboardData` into one HTML string; `write_dashboard`
gathers and writes it atomically (a viewer never sees half a file, and a failed write leaves
the previous dashboard in place). Every string goes through `esc`, every number through the
formatters, and the page has no script, so a hostile override or rationale stays text.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from sentinel.agent.dashboard._format import DASH, esc, num, pct, seconds, utc
from sentinel.agent.dashboard._html import badge, card, page, section, table
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


def _cards(d: DashboardData) -> str:
    counts = Counter(v.run.status for v in d.runs)
    status_line = " · ".join(f"{n} {esc(s.replace('_', ' '))}" for s, n in counts.most_common())
    best = d.best
    gain = d.improvement()
    rec = d.recommendation
    findings = ", ".join(f.kind.replace("_", " ") for f in rec.findings) or "none"
    last_escalation = d.escalations[-1].reason if d.escalations else ""
    c = d.compute
    saved = f"saved by the monitor ≈ {esc(seconds(c.saved_s))} ({c.stopped_early} run(s) stopped early"
    saved += f", {c.unestimated} without an estimate)" if c.unestimated else ")"
    cards = [
        card("Runs", f"{len(d.runs)} <small>of {d.budget_runs}</small>", status_line or "no runs yet"),
        card(
            f"Best {d.metric}",
            esc(num(best.value)) if best else DASH,
            f"run #{best.seq} · <code>{esc(best.run.run_id)}</code>" if best else "no completed run yet",
            f"<code>{esc(config_text(best))}</code>" if best else "",
        ),
        card(
            "Improvement over the first run",
            esc(pct(gain[1])) if gain and gain[1] is not None else DASH,
            f"{esc(num(d.first.value))} (#{d.first.seq}) → {esc(num(best.value))} (#{best.seq})"
            if gain and d.first and best
            else "needs a completed first run and a best run",
        ),
        card(
            "Drift / stagnation",
            esc(rec.action.replace("_", " ")),
            esc(rec.reason),
            f"signals: {esc(findings)}",
        ),
        card(
            "Tier reached",
            f"{d.campaign.tier} <small>of {d.max_tier}</small>",
            f"{len(d.escalations)} escalation(s)",
            esc(last_escalation),
        ),
        card(
            "Compute",
            esc(seconds(c.used_s)),
            saved,
            f"{c.interventions} monitor intervention(s) in {c.runs_with_interventions} run(s)",
        ),
    ]
    return f'<div class="cards">{"".join(cards)}</div>'


def _progression(d: DashboardData) -> str:
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
    return line_chart(
        "progression",
        series,
        title=f"Metric progression: {d.metric}, best so far per run",
        x_label="run (proposal #)",
        y_label=d.metric,
        log_y=False,
    )


def _plotted(d: DashboardData) -> list[RunView]:
    return [v for v in d.ranked if v.curves.train_loss or v.curves.val][:MAX_PLOTTED]


def _loss_at(points: tuple[tuple[int, float], ...], step: int) -> float:
    before = [y for x, y in points if x <= step]
    return before[-1] if before else math.nan


def _curves(d: DashboardData) -> str:
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
    hidden = sum(1 for v in d.runs if v.curves.train_loss or v.curves.val) - len(plotted)
    note = f'<p class="note">{hidden} more run(s) are in the table but not drawn.</p>' if hidden > 0 else ""
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
    return "".join(parts) + note


def _monitor_cell(v: RunView) -> str:
    if not v.interventions:
        return DASH
    actions = Counter(e.action for e in v.interventions)
    text = ", ".join(f"{a}×{n}" if n > 1 else a for a, n in actions.most_common())
    if v.stopped_by_monitor:
        text += "; stopped early" + (f", saved ≈ {seconds(v.saved_s)}" if v.saved_s else "")
    return esc(text)


def _other_metrics(v: RunView, metric: str) -> str:
    # The run's own claims (its best point), beside the trusted number the table ranks.
    parts = [
        f"claimed {k} {num(val)}" if k == metric else f"{k} {num(val)}"
        for k, val in sorted(v.run.best.items())
    ]
    return esc(" · ".join(parts)) if parts else DASH


def _table(d: DashboardData) -> str:
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
        note = r.reason or v.curves.note or ""
        rows.append(
            [
                str(v.rank) if v.rank is not None else DASH,
                str(v.seq),
                f"<code>{esc(r.run_id)}</code>",
                badge(r.status),
                str(r.proposal.tier),
                f"<code>{esc(config_text(v))}</code>",
                esc(num(v.value)),
                esc(num(v.final)),
                _other_metrics(v, d.metric),
                esc(num(r.steps, 9)) if r.steps is not None else DASH,
                esc(seconds(r.duration_s)),
                esc(r.isolation or DASH),
                _monitor_cell(v),
                f'<span class="note">{esc(note)}</span>',
            ]
        )
    return table(headers, rows, numeric=(0, 1, 4, 6, 7, 9, 10), classes={2: "id", 5: "cfg"})


def _timeline(d: DashboardData) -> str:
    start = d.campaign.created_at
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
    chart = timeline_chart("approvals", lanes, title="Approval timeline", start=start)
    items = [
        f'<li><span class="when">{esc(utc(e.at))} (+{esc(seconds(e.at - start))})</span> {badge(e.kind)} '
        f"{esc(_entry_text(e))}</li>"
        for e in d.timeline
    ]
    listing = (
        f'<ol class="timeline">{"".join(items)}</ol>' if items else '<p class="note">no decisions yet</p>'
    )
    return chart + listing


def _entry_text(e: object) -> str:
    seq = getattr(e, "proposal_seq", None)
    return (f"proposal #{seq} " if seq is not None else "") + str(getattr(e, "text", ""))


def _models(d: DashboardData) -> str:
    rows = [
        [
            str(m.proposal.seq),
            f"<code>{esc(m.proposal.model_ref)}</code>",
            str(m.proposal.tier),
            badge(m.verdict),
            f'<span class="note">{esc(m.reason)}</span>',
            badge(m.run_status) if m.run_status else DASH,
            esc(num(m.value)),
        ]
        for m in d.models
    ]
    if not rows:
        return '<p class="note">No generated (tier-3) models were proposed in this campaign.</p>'
    return table(["#", "model", "tier", "validator", "reason", "run", d.metric], rows, numeric=(0, 2, 6))


def _rationale(d: DashboardData) -> str:
    if d.best is None or not d.best.run.proposal.rationale:
        return ""
    return f'<p class="note">Why the brain proposed the best run: {esc(d.best.run.proposal.rationale)}</p>'


def render_dashboard(d: DashboardData) -> str:
    """The whole page as one string (UTF-8 HTML, self-contained)."""
    c = d.campaign
    header = (
        f"<h1>Campaign {esc(c.id)} {badge(c.state)}</h1>"
        f'<p class="sub">goal <code>{esc(c.goal_address)}</code> · {esc(d.metric)} ({esc(d.mode)}) · brain '
        f"{esc(c.brain)} · approval {esc(c.approval)} · started {esc(utc(c.created_at))} · written "
        f"{esc(utc(d.generated_at))}</p>"
    )
    text = "".join(f"<p>{esc(p)}</p>" for p in analysis(d))
    body = [
        header,
        _cards(d),
        section("Metric progression", "progression", _progression(d)),
        section("Training curves", "curves", _curves(d)),
        section("Experiments, best first", "runs", _table(d)),
        section("Approval timeline", "timeline", _timeline(d)),
        section("Generated models", "models", _models(d)),
        section("Analysis", "analysis", f'<div class="analysis">{text}{_rationale(d)}</div>'),
    ]
    return page(f"Sentinel · {c.id}", body)


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
