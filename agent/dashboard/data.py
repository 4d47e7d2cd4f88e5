"""Everything a campaign dashboard shows, gathered once from the FeedbackStore and run folders.

The result holds numbers, enumerated strings (statuses, anomalies, actions, tiers) and
Sentinel's own wording from the store (reasons, rationales, override values): the store checked
each of them on the way in, and the page escapes them again on the way out. Nothing free-text
from a run's artifacts gets here: curves are numbers read through the hostile-input reader.
Gathering is read-only, so a dashboard may be written while the campaign is still running.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sentinel.agent.dashboard._runfiles import RunCurves, planned_steps, read_curves
from sentinel.agent.drift import Recommendation, assess_campaign
from sentinel.agent.goals import parse_goal

if TYPE_CHECKING:
    from sentinel.agent.store import (
        CampaignRecord,
        EscalationRecord,
        FeedbackStore,
        MonitorEventRecord,
        ProposalRecord,
        RunRecord,
    )

__all__ = ["Compute", "DashboardData", "GeneratedModel", "RunView", "TimelineEntry", "gather"]

#: Statuses whose goal metric competes for the ranking (diverged runs' best points precede a blow-up).
RANKED_STATUSES = frozenset({"completed"})
MONITOR_STOP_REASONS = frozenset({"monitor_stop"})


@dataclass(frozen=True, slots=True)
class RunView:
    """One proposal's latest run as the page shows it: record, rank, curves, interventions."""

    run: RunRecord
    value: float | None  # the goal metric at the run's best point, when finite
    final: float | None
    rank: int | None  # 1 = best; None for runs that do not compete (not completed, no value)
    curves: RunCurves
    interventions: tuple[MonitorEventRecord, ...]
    stopped_by_monitor: bool
    planned_steps: int | None
    saved_s: float | None  # estimated seconds the monitor's early stop saved, when it can be told

    @property
    def seq(self) -> int:
        return self.run.proposal.seq


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """A decision: `kind` is approved | rejected | validator_rejected | escalated."""

    at: float
    kind: str
    proposal_seq: int | None
    text: str


@dataclass(frozen=True, slots=True)
class GeneratedModel:
    """A tier-3 proposal: its model, the validator's verdict (accepted|rejected|pending), its run."""

    proposal: ProposalRecord
    verdict: str
    reason: str
    run_status: str | None
    value: float | None


@dataclass(frozen=True, slots=True)
class Compute:
    used_s: float  # every attempt's wall time, requeued ones included: they cost compute too
    saved_s: float  # estimated, from runs the monitor stopped early versus their planned steps
    stopped_early: int
    unestimated: int  # early stops whose planned length could not be told
    interventions: int
    runs_with_interventions: int


@dataclass(frozen=True, slots=True)
class DashboardData:
    campaign: CampaignRecord
    metric: str
    mode: str
    budget_runs: int
    max_tier: int
    target: float | None
    runs: tuple[RunView, ...]  # proposal order, one per proposal that reached an end or is running
    best: RunView | None
    first: RunView | None  # the first run with a ranked value: the baseline of the improvement
    recommendation: Recommendation
    timeline: tuple[TimelineEntry, ...]
    escalations: tuple[EscalationRecord, ...]
    models: tuple[GeneratedModel, ...]
    compute: Compute
    generated_at: float = field(default_factory=time.time)

    @property
    def ranked(self) -> list[RunView]:
        """Best first, then the unranked runs in proposal order."""
        ranked = sorted((v for v in self.runs if v.rank is not None), key=lambda v: v.rank or 0)
        return ranked + [v for v in self.runs if v.rank is None]

    def improvement(self) -> tuple[float, float | None] | None:
        """(gain, relative gain) of the best run over the first, oriented so positive is better."""
        if self.best is None or self.first is None or self.best.value is None or self.first.value is None:
            return None
        sign = 1.0 if self.mode == "min" else -1.0
        gain = sign * (self.first.value - self.best.value)
        return gain, (gain / abs(self.first.value) if self.first.value else None)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def run_folder(run: RunRecord, runs_dir: Path | None) -> Path | None:
    """The run's own folder: where the loop put it, else `<runs>/<campaign>/<run_id>`."""
    stored = Path(run.out_dir) if run.out_dir else None
    if stored is not None and stored.name == run.run_id:
        return stored
    if runs_dir is not None:
        return runs_dir / run.campaign_id / run.run_id
    return None


def _view(store: FeedbackStore, run: RunRecord, metric: str, runs_dir: Path | None) -> RunView:
    folder = run_folder(run, runs_dir)
    running = run.status == "running"
    curves = (
        RunCurves(note="no run folder") if folder is None or running else read_curves(folder / "artifacts")
    )
    events = tuple(e for e in store.events(run.run_id) if e.kind == "intervention")
    stopped = run.summary_reason in MONITOR_STOP_REASONS or any(e.action == "stop" for e in events)
    planned = planned_steps(folder / "config.yaml", curves.steps_per_epoch) if folder and stopped else None
    done = run.steps or curves.last_step
    saved = None
    if stopped and planned and done and planned > done and run.duration_s:
        saved = run.duration_s * (planned - done) / done
    return RunView(
        run=run,
        value=_finite(run.metric(metric)),
        final=_finite(run.metric(metric, "final")),
        rank=None,
        curves=curves,
        interventions=events,
        stopped_by_monitor=stopped,
        planned_steps=planned,
        saved_s=saved,
    )


def _ranked(views: list[RunView], mode: str) -> list[RunView]:
    sign = 1.0 if mode == "min" else -1.0
    competing = [v for v in views if v.run.status in RANKED_STATUSES and v.value is not None]
    order = sorted(competing, key=lambda v: (sign * (v.value or 0.0), v.seq))
    ranks = {v.run.run_id: i + 1 for i, v in enumerate(order)}
    return [replace(v, rank=ranks.get(v.run.run_id)) for v in views]


def _timeline(
    store: FeedbackStore, campaign_id: str, escalations: list[EscalationRecord]
) -> list[TimelineEntry]:
    entries = []
    for p in store.proposals(campaign_id):
        if p.state == "rejected_by_validator":
            why = f": {p.state_reason}" if p.state_reason else ""
            entries.append(
                TimelineEntry(p.updated_at, "validator_rejected", p.seq, f"rejected by the validator{why}")
            )
        for a in store.approvals(p.id):
            bundle = f" (review bundle {a.bundle_sha256[:12]})" if a.bundle_sha256 else ""
            entries.append(
                TimelineEntry(a.decided_at, a.decision, p.seq, f"{a.decision} by {a.reviewer}{bundle}")
            )
    for e in escalations:
        entries.append(
            TimelineEntry(e.created_at, "escalated", None, f"tier {e.from_tier} to {e.to_tier}: {e.reason}")
        )
    return sorted(entries, key=lambda t: t.at)


def _models(store: FeedbackStore, campaign_id: str, views: dict[int, RunView]) -> list[GeneratedModel]:
    out = []
    for p in store.proposals(campaign_id):
        if p.model_ref is None:
            continue
        verdict = {"rejected_by_validator": "rejected", "proposed": "pending"}.get(p.state, "accepted")
        view = views.get(p.id)
        out.append(
            GeneratedModel(
                p,
                verdict,
                p.state_reason if verdict == "rejected" else "",
                view.run.status if view else None,
                view.value if view else None,
            )
        )
    return out


def _compute(store: FeedbackStore, campaign_id: str, views: list[RunView]) -> Compute:
    stopped = [v for v in views if v.stopped_by_monitor]
    return Compute(
        used_s=sum(r.duration_s or 0.0 for r in store.runs(campaign_id)),
        saved_s=sum(v.saved_s or 0.0 for v in stopped),
        stopped_early=len(stopped),
        unestimated=sum(1 for v in stopped if v.saved_s is None),
        interventions=sum(len(v.interventions) for v in views),
        runs_with_interventions=sum(1 for v in views if v.interventions),
    )


def gather(
    store: FeedbackStore, campaign_id: str, runs_dir: Path | None = None, now: float | None = None
) -> DashboardData:
    """Read one campaign for its dashboard; UnknownRecord (exit 2) when there is no such campaign.

    `runs_dir` is where run folders are looked for when a run's stored folder is not its own
    (`<runs>/<campaign>/<run_id>`); curves are read from `<run folder>/artifacts`.
    """
    campaign = store.get_campaign(campaign_id)
    goal = parse_goal(dict(campaign.goal), f"campaign {campaign_id} goal snapshot", campaign.goal_address)
    metric, mode = goal.metric.name, goal.metric.mode
    views = _ranked([_view(store, r, metric, runs_dir) for r in store.history(campaign_id, True)], mode)
    ranked = sorted((v for v in views if v.rank is not None), key=lambda v: v.rank or 0)
    first = next((v for v in views if v.rank is not None), None)
    escalations = store.escalations(campaign_id)
    return DashboardData(
        campaign=campaign,
        metric=metric,
        mode=mode,
        budget_runs=goal.budget.runs,
        max_tier=goal.max_tier,
        target=goal.target,
        runs=tuple(views),
        best=ranked[0] if ranked else None,
        first=first,
        recommendation=assess_campaign(store, campaign_id),
        timeline=tuple(_timeline(store, campaign_id, escalations)),
        escalations=tuple(escalations),
        models=tuple(_models(store, campaign_id, {v.run.proposal.id: v for v in views})),
        compute=_compute(store, campaign_id, views),
        generated_at=time.time() if now is None else now,
    )
