"""Gathering a campaign's dashboard from a real FeedbackStore in tmp_path with real artifact
folders read back through the hostile reader: ranking, improvement, curves and interventions,
compute saved by the monitor, timeline, generated models and the written analysis. The builder
here is shared by the other test_dashboard_* modules."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from _support import honest_trusted

from sentinel.agent.dashboard import analysis, gather
from sentinel.agent.goals import load_goal
from sentinel.agent.store import FeedbackStore
from sentinel.sandbox.artifacts import read_artifacts

SHA = "cd" * 32
CAMPAIGN = "hr-demo"
HOSTILE_MODEL = "<script>alert('model')</script>"
HOSTILE_NOTE = '"><img src=x onerror=alert(1)>'
HOSTILE_RATIONALE = "try this </p><script>alert('rationale')</script> & <b>bold</b>"
HOSTILE_REASON = "<iframe src=javascript:alert(1)></iframe>"


def write_artifacts(
    folder: Path,
    *,
    mae: list[float],
    steps_per_epoch: int = 20,
    events: list[dict] = (),  # type: ignore[assignment]
    claimed: str = "completed",
    stop_at: int | None = None,
    epochs: int = 10,
) -> object:
    """Contract-shaped artifacts (metrics, summary, events) plus the host's config.yaml."""
    art = folder / "artifacts"
    art.mkdir(parents=True)
    lines = []
    last = stop_at or steps_per_epoch * len(mae)
    for step in range(1, last + 1, 5):
        loss = 2.0 / (1 + step / 20)
        if stop_at and step > stop_at - 10:
            lines.append(
                {
                    "step": step,
                    "epoch": step // steps_per_epoch,
                    "split": "train",
                    "loss": None,
                    "grad_norm": None,
                    "lr": 0.08,
                    "nonfinite": ["loss", "grad_norm"],
                }
            )
            continue
        lines.append(
            {
                "step": step,
                "epoch": step // steps_per_epoch,
                "split": "train",
                "loss": loss,
                "grad_norm": 1.0,
                "lr": 0.003,
            }
        )
    for epoch, value in enumerate(mae):
        step = (epoch + 1) * steps_per_epoch
        if step <= last:
            lines.append({"step": step, "epoch": epoch, "split": "val", "loss": value / 10, "mae": value})
    (art / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    point = {"epoch": 0, "step": steps_per_epoch, "val/loss": min(mae) / 10, "val/mae": min(mae)}
    summary = {
        "status": claimed,
        "epochs": min(epochs, last // steps_per_epoch),
        "steps": last,
        "best": point,
        "final": {**point, "val/mae": mae[-1]},
    }
    (art / "summary.json").write_text(json.dumps(summary))
    if events:
        (art / "monitor_events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (folder / "config.yaml").write_text(f"trainer:\n  epochs: {epochs}\n  max_steps: null\n")
    result = read_artifacts(art)
    assert result.accepted, result.rejection
    return result


def _propose(
    store: FeedbackStore,
    overrides: dict,
    *,
    tier: int = 1,
    model_ref: str | None = None,
    rationale: str = "explore",
    at: float = 0.0,
) -> int:
    p = store.add_proposal(
        CAMPAIGN,
        tier=tier,
        brain="strategist",
        overrides=overrides,
        rationale=rationale,
        model_ref=model_ref,
        now=1000.0 + at,
    )
    return p.id


def _run(
    store: FeedbackStore,
    runs: Path,
    pid: int,
    status: str,
    at: float,
    duration: float = 30.0,
    reason: str = "the run exited with code 0",
    **art: object,
) -> str:
    store.record_validation(pid, True, config_sha256=SHA, now=1000.0 + at)
    store.record_approval(pid, "approved", "auto", now=1000.0 + at)
    claim = store.claim_next(CAMPAIGN, now=1000.0 + at)
    assert claim is not None
    folder = runs / CAMPAIGN / claim.run.run_id
    artifacts = write_artifacts(folder, **art) if art else None  # type: ignore[arg-type]
    store.record_run(
        claim.run.run_id,
        status,
        reason=reason,
        artifacts=artifacts,
        trusted=honest_trusted(artifacts),
        duration_s=duration,
        isolation="runc",
        out_dir=str(folder),
        now=1000.0 + at + duration,
    )
    return claim.run.run_id


def build_campaign(tmp_path: Path, hostile: bool = True) -> tuple[FeedbackStore, Path]:
    """A small campaign with every kind of run the dashboard shows."""
    store = FeedbackStore(tmp_path / "feedback.db")
    runs = tmp_path / "runs"
    store.create_campaign(load_goal("ppg:hr_optimize"), seed=3, campaign_id=CAMPAIGN, now=1000.0)
    spike = {
        "step": 31,
        "anomaly": "loss_spike",
        "action": "lr_cut",
        "evidence": {"ratio": 4.0},
        "params": {"factor": 0.5},
    }
    nan_stop = {"step": 45, "anomaly": "nan", "action": "stop", "evidence": {"loss": None}, "params": {}}
    p1 = _propose(store, {"trainer.lr": 0.003, "model": "cnn1d"}, rationale="baseline", at=0)
    _run(store, runs, p1, "completed", 0, mae=[7.0, 6.5, 6.0])
    p2 = _propose(store, {"trainer.lr": 0.01, "model": "mlp"}, at=60)
    _run(store, runs, p2, "completed", 60, mae=[6.0, 5.4, 5.0], events=[spike])
    p3 = _propose(store, {"trainer.lr": 0.08, "model": "mlp"}, at=120)
    _run(
        store,
        runs,
        p3,
        "diverged",
        120,
        duration=10.0,
        mae=[8.0, 9.0, 9.5],
        claimed="diverged",
        stop_at=50,
        events=[nan_stop],
        epochs=10,
    )
    p4 = _propose(store, {"trainer.lr": 0.001, "model": "resnet1d"}, at=180)
    _run(store, runs, p4, "timeout", 180, duration=600.0, reason="the run hit its 600 s limit")
    store.record_escalation(
        CAMPAIGN, 3, "stagnation with every known model tried", {"gain": 0.01}, now=1300.0
    )
    p5 = _propose(store, {}, tier=3, model_ref="generated.bad_net.Net", at=310)
    store.record_validation(
        p5, False, reason="generated model bad_net.py rejected by the validator", now=1311.0
    )
    p6 = _propose(
        store,
        {"trainer.lr": 0.005},
        tier=3,
        model_ref="generated.res_a.Net",
        rationale="a residual stack",
        at=320,
    )
    _run(store, runs, p6, "completed", 320, mae=[5.0, 4.2, 3.9])
    p7 = _propose(store, {"trainer.lr": 0.02, "model": "cnn1d"}, at=400)
    store.record_validation(p7, True, config_sha256=SHA, now=1401.0)
    store.record_approval(p7, "rejected", "alice", bundle_sha256=SHA, now=1402.0)
    if hostile:
        p8 = _propose(
            store,
            {"model": HOSTILE_MODEL, "trainer.note": HOSTILE_NOTE, "trainer.lr": 0.004},
            rationale=HOSTILE_RATIONALE,
            at=500,
        )
        _run(store, runs, p8, "failed", 500, reason=HOSTILE_REASON)
    store.set_campaign_state(CAMPAIGN, "finished", "the budget <b>is</b> spent", now=1700.0)
    return store, runs


@pytest.fixture
def campaign(tmp_path: Path) -> tuple[FeedbackStore, Path]:
    store, runs = build_campaign(tmp_path)
    yield store, runs
    store.close()


def test_gather_ranks_completed_runs_and_finds_the_best(campaign) -> None:
    store, runs = campaign
    d = gather(store, CAMPAIGN, runs)
    assert (d.metric, d.mode, d.budget_runs, d.max_tier) == ("val/mae", "min", 12, 3)
    assert [v.seq for v in d.ranked][:3] == [6, 2, 1]  # completed runs by val/mae, lowest first
    assert [v.rank for v in d.ranked][:3] == [1, 2, 3]
    assert all(v.rank is None for v in d.ranked[3:])  # diverged, timeout, rejected, failed
    assert d.best is not None and d.best.seq == 6 and d.best.value == pytest.approx(3.9)
    assert d.first is not None and d.first.seq == 1
    gain, relative = d.improvement()  # type: ignore[misc]
    assert gain == pytest.approx(6.0 - 3.9) and relative == pytest.approx((6.0 - 3.9) / 6.0)


def test_gather_reads_curves_through_the_reader_and_marks_interventions(campaign) -> None:
    store, runs = campaign
    views = {v.seq: v for v in gather(store, CAMPAIGN, runs).runs}
    curves = views[2].curves
    assert curves.train_loss[0] == (1, pytest.approx(2.0 / (1 + 1 / 20)))
    assert [y for _, y in curves.val["val/mae"]] == [6.0, 5.4, 5.0]
    assert curves.steps_per_epoch == 20
    assert [(e.step, e.anomaly, e.action) for e in views[2].interventions] == [(31, "loss_spike", "lr_cut")]
    assert any(math.isnan(y) for _, y in views[3].curves.train_loss)  # flagged non-finite losses stay gaps
    assert views[4].curves.note == "no artifacts were kept for this run"


def test_compute_saved_by_the_monitor_uses_planned_steps(campaign) -> None:
    store, runs = campaign
    d = gather(store, CAMPAIGN, runs)
    diverged = next(v for v in d.runs if v.seq == 3)
    assert diverged.stopped_by_monitor and diverged.planned_steps == 10 * 20
    assert diverged.saved_s == pytest.approx(10.0 * (200 - 50) / 50)
    c = d.compute
    assert (c.stopped_early, c.unestimated, c.interventions, c.runs_with_interventions) == (1, 0, 2, 2)
    assert c.saved_s == pytest.approx(30.0)
    assert c.used_s == pytest.approx(30 + 30 + 10 + 600 + 30 + 30)


def test_timeline_models_and_tier(campaign) -> None:
    store, runs = campaign
    d = gather(store, CAMPAIGN, runs)
    kinds = [(e.kind, e.proposal_seq) for e in d.timeline]
    assert ("escalated", None) in kinds and ("validator_rejected", 5) in kinds and ("rejected", 7) in kinds
    assert [e.at for e in d.timeline] == sorted(e.at for e in d.timeline)
    rejected = next(e for e in d.timeline if e.kind == "rejected")
    assert rejected.text == f"rejected by alice (review bundle {SHA[:12]})"
    assert [(m.proposal.model_ref, m.verdict, m.run_status) for m in d.models] == [
        ("generated.bad_net.Net", "rejected", "rejected_by_validator"),
        ("generated.res_a.Net", "accepted", "completed"),
    ]
    assert d.campaign.tier == 3 and len(d.escalations) == 1


def test_analysis_names_the_best_run_what_helped_and_the_recommendation(tmp_path: Path) -> None:
    store, runs = build_campaign(tmp_path, hostile=False)
    text = analysis(gather(store, CAMPAIGN, runs))
    joined = " ".join(text)
    assert (
        "The best run is #6" in joined
        and "val/mae 3.9" in joined
        and "model_ref=generated.res_a.Net" in joined
    )
    assert "2.1 (+35.0%) better than the first completed run (#1, 6)" in joined
    assert "The target 4 is reached." in joined
    assert "What helped:" in joined and "trainer.lr" in joined
    assert "intervened 2 time(s) in 2 run(s)" in joined and "stopped 1 run(s) early" in joined
    assert text[-1].startswith("Adopt run #6's configuration") and "Recommendation:" in text[-1]


def test_symlinked_metrics_give_no_curves_and_no_crash(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.db")
    store.create_campaign(load_goal("ppg:hr_optimize"), seed=3, campaign_id=CAMPAIGN, now=1000.0)
    runs = tmp_path / "runs"
    pid = _propose(store, {"trainer.lr": 0.003})
    run_id = _run(store, runs, pid, "completed", 0, mae=[6.0])
    metrics = runs / CAMPAIGN / run_id / "artifacts" / "metrics.jsonl"
    secret = tmp_path / "secret.jsonl"
    metrics.rename(secret)
    metrics.symlink_to(secret)
    view = gather(store, CAMPAIGN, runs).runs[0]
    assert view.curves.train_loss == () and "rejected" in (view.curves.note or "")
