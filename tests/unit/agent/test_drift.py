"""Drift and stagnation on hand-made histories: both modes, negative metrics, mixed lineages,
divergence-heavy runs, exhausted models and budgets; and the scale-free property itself."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinel.agent.drift import (
    ACTIONS,
    DriftPolicy,
    Observation,
    assess,
    assess_campaign,
    metric_scale,
    observations,
)
from sentinel.agent.goals import load_goal
from sentinel.agent.store import FeedbackStore


def history(*values: float | None, lineage: str = "a", start: int = 1, **kw: object) -> list[Observation]:
    """Observations with consecutive seqs; None values are failed runs."""
    return [
        Observation(start + i, lineage, "completed" if v is not None else "failed", v, **kw)  # type: ignore[arg-type]
        for i, v in enumerate(values)
    ]


def roots(*values: float | None, start: int = 1, **kw: object) -> list[Observation]:
    """Exploratory runs: each its own lineage (what tier-1 search produces)."""
    return [
        Observation(start + i, f"p{start + i}", "completed" if v is not None else "failed", v, **kw)  # type: ignore[arg-type]
        for i, v in enumerate(values)
    ]


def run(obs: list[Observation], mode: str = "min", **kw: object) -> tuple[str, str, dict]:
    rec = assess(obs, mode=mode, budget_runs=kw.pop("budget_runs", 20), **kw)  # type: ignore[arg-type]
    assert rec.action in ACTIONS
    assert all(isinstance(v, float) and math.isfinite(v) for v in rec.evidence.values())
    return rec.action, rec.reason, dict(rec.evidence)


def test_empty_and_improving_histories_continue() -> None:
    assert run([])[0] == "continue"
    assert run(roots(5.0, 4.0, 3.5, 3.0, 2.7))[:2] == ("continue", "the campaign is still improving")


def test_stagnation_with_untried_models_changes_model() -> None:
    obs = roots(5.0, 4.0, 4.01, 4.02, 4.005, model="mlp")
    action, reason, evidence = run(obs, known_models=("mlp", "cnn1d", "resnet1d"))
    assert action == "change_model"
    assert "no more than 0.05 scales in 3 runs" in reason and "cnn1d, resnet1d" in reason
    assert evidence["gain"] <= 0.05 and evidence["window"] == 3 and evidence["best"] == 4.0


def test_stagnation_in_max_mode_mirrors_min_mode() -> None:
    values = (0.5, 0.8, 0.79, 0.795, 0.8)
    assert run(roots(*values, model="mlp"), "max", known_models=("mlp", "cnn1d"))[0] == "change_model"
    assert (
        run(roots(*(-v for v in values), model="mlp"), "min", known_models=("mlp", "cnn1d"))[0]
        == "change_model"
    )
    # the same numbers minimised are a campaign still improving (0.5 is the best, found first)
    assert run(roots(0.8, 0.79, 0.6, 0.55, 0.5), "min")[0] == "continue"


def test_negative_metrics_are_handled_by_spread_not_ratio() -> None:
    # A negative ELBO-like loss: relative-to-value measures break near zero and below it.
    improving = roots(-10.0, -12.0, -13.5, -15.0, -16.2)
    assert run(improving)[0] == "continue"
    flat = roots(-10.0, -12.0, -12.01, -12.0, -12.005, model="vae")
    assert run(flat, known_models=("vae",), max_tier=2)[0] == "escalate"
    crossing_zero = roots(3.0, 1.0, -1.0, -3.0, -5.0)
    assert run(crossing_zero)[0] == "continue"


def test_all_models_tried_escalates_then_stops_at_max_tier() -> None:
    obs = roots(5.0, 4.0, model="mlp") + roots(4.1, 4.2, 4.05, start=3, model="cnn1d")
    rec = assess(obs, mode="min", budget_runs=20, tier=1, max_tier=3, known_models=("mlp", "cnn1d"))
    assert (rec.action, rec.to_tier, rec.evidence["to_tier"]) == ("escalate", 2, 2.0)
    assert "every known model tried" in rec.reason and rec.untried_models == ()
    rec = assess(obs, mode="min", budget_runs=20, tier=3, max_tier=3, known_models=("mlp", "cnn1d"))
    assert rec.action == "stop" and "no tier is left" in rec.reason


def test_budget_nearly_spent_without_gains_stops() -> None:
    obs = roots(5.0, 4.0, 4.1, 4.05, 4.2, 4.1, 4.3, 4.2)
    action, reason, evidence = run(obs, budget_runs=10, known_models=("mlp",))
    assert action == "stop" and "budget is nearly spent" in reason
    assert (evidence["runs_used"], evidence["budget_runs"]) == (8.0, 10.0)
    assert run(roots(5.0, 4.0), budget_runs=2)[:2] == ("stop", "the budget of 2 runs is spent")
    assert run(roots(5.0, 4.0), budget_runs=9, runs_used=9)[0] == "stop"  # the loop's own count wins


def test_target_reached_stops_in_both_modes() -> None:
    assert run(roots(5.0, 3.9), target=4.0)[:2] == ("stop", "the target is reached")
    assert run(roots(0.5, 0.91), "max", target=0.9)[0] == "stop"
    assert run(roots(0.5, 0.89), "max", target=0.9)[0] == "continue"


def test_divergence_heavy_history_at_high_lr_changes_lr() -> None:
    ok = roots(5.0, 4.0, lr=1e-3)
    bad = [
        Observation(3, "p3", "diverged", None, lr=0.08),
        Observation(4, "p4", "completed", 3.9, lr=2e-3),
        Observation(5, "p5", "diverged", None, lr=0.1),
        Observation(6, "p6", "failed", None, lr=0.05, nonfinite=True),
    ]
    action, reason, evidence = run(ok + bad)
    assert action == "change_lr"
    assert "3 of the last 4 runs diverged or went non-finite" in reason and "above" in reason
    assert evidence["median_lr_unstable"] == 0.08 and evidence["median_lr_stable"] == pytest.approx(1e-3)
    # Failures without non-finite numbers (a crash, a bad model file) are not an LR problem.
    crashes = [Observation(i, f"p{i}", "failed", None) for i in range(3, 7)]
    assert run(ok + crashes)[0] != "change_lr"


def test_drift_within_a_lineage_changes_lr() -> None:
    obs = roots(6.0, 5.0) + history(4.0, 4.3, 4.7, 5.2, lineage="p2-tune", start=3)
    action, reason, evidence = run(obs, known_models=("mlp", "cnn1d"))
    assert action == "change_lr" and "lineage p2-tune got worse in each of its last 3 runs" in reason
    assert evidence["worsening"] > 0.05


def test_an_unrelated_exploratory_run_does_not_make_a_lineage_drift() -> None:
    tuned = history(5.0, 4.8, 4.6, lineage="p1")
    explore = [Observation(4, "p4", "completed", 9.0)]  # a bad random probe, its own lineage
    rec = assess([*tuned, *explore], mode="min", budget_runs=20)
    assert rec.action == "continue" and not any(f.kind == "drift" for f in rec.findings)
    # The same numbers inside one lineage are drift... only when each run is worse than the last.
    inside = history(5.0, 4.8, 4.6, 9.0, lineage="p1")
    assert not any(f.kind == "drift" for f in assess(inside, mode="min", budget_runs=20).findings)
    worse = history(4.6, 4.8, 9.0, lineage="p1")
    assert assess(worse, mode="min", budget_runs=20).action == "change_lr"


def test_interleaved_lineages_are_judged_separately() -> None:
    a = history(5.0, 4.5, 4.2, lineage="a")  # improving
    b = history(6.0, 6.5, 7.0, lineage="b", start=4)  # drifting
    mixed = sorted(a + b, key=lambda o: o.seq)
    rec = assess(mixed, mode="min", budget_runs=20)
    assert rec.lineage == "b" and rec.action == "change_lr"  # b is the active lineage and drifts
    reordered = [Observation(i + 1, o.lineage, o.status, o.value) for i, o in enumerate(b + a)]
    rec = assess(reordered, mode="min", budget_runs=20)
    assert rec.lineage == "a" and rec.action == "continue"  # a, now active, improves


def test_lineage_stagnation_alone_suggests_another_model() -> None:
    obs = roots(9.0, 8.0, model="mlp") + history(4.0, 4.001, 4.002, 4.0005, lineage="t", start=3, model="mlp")
    rec = assess(obs, mode="min", budget_runs=20, known_models=("mlp", "cnn1d"))
    kinds = [f.kind for f in rec.findings]
    assert "lineage_stagnation" in kinds and rec.action == "change_model"


def test_failed_recent_runs_count_as_no_gain() -> None:
    obs = roots(5.0, 4.0, None, None, None, model="mlp")
    assert run(obs, known_models=("mlp", "cnn1d"))[0] == "change_model"


def test_metric_scale_is_robust() -> None:
    assert metric_scale([]) == 1.0 and metric_scale([3.0]) == 1.0 and metric_scale([0.0, 0.0]) == 1.0
    assert metric_scale([1.0, 2.0, 3.0, 1000.0]) == pytest.approx(1.4826)  # the outlier barely counts
    assert metric_scale([-3.0, -2.0, -1.0]) == metric_scale([1.0, 2.0, 3.0])  # sign does not matter
    assert metric_scale([1.0, 1.0, 1.0, 5.0]) == pytest.approx(0.05)  # MAD is 0: 5% of the median
    assert metric_scale([-12.0, -12.01, -12.0, -12.005, -10.0]) == pytest.approx(0.6)  # a tight cluster
    assert metric_scale([1.0, 1.0, 1.0, 5.0], rel_floor=0.0) == 2.0  # no floor: half the range
    assert metric_scale([4.0, 4.0], rel_floor=0.0) == 1.0


def test_shift_changes_nothing_while_the_spread_dominates() -> None:
    values = (5.0, 3.0, 3.5, 2.9, 4.0, 2.95, 3.1)
    actions = {
        run(roots(*(v + shift for v in values), model="mlp"), known_models=("mlp", "cnn1d"))[0]
        for shift in (-3.0, 0.0, 2.0)
    }
    assert actions == {"change_model"}


def test_policy_rejects_nonsense() -> None:
    for bad in (
        {"rel_floor": -0.1},
        {"window": 1},
        {"drift_runs": 0},
        {"unstable_share": 0.0},
        {"budget_share": 1.5},
        {"min_gain": -1.0},
        {"min_gain": math.nan},
    ):
        with pytest.raises(ValueError):
            DriftPolicy(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        assess([], mode="best", budget_runs=1)


outcomes = st.one_of(
    st.integers(-2000, 2000).map(lambda n: n / 8),  # exact in binary: scaling by 2**k stays exact
    st.none(),
    st.just("diverged"),
)
lineages = st.sampled_from(["a", "a", "b", "p9"])
histories = st.lists(st.tuples(outcomes, lineages, st.sampled_from([None, "mlp", "cnn1d"])), max_size=14)


def build(raw: list[tuple[object, str, str | None]], transform=lambda v: v) -> list[Observation]:
    out = []
    for i, (outcome, lineage, model) in enumerate(raw):
        if outcome == "diverged":
            out.append(Observation(i + 1, lineage, "diverged", None, lr=0.1, model=model))
        elif outcome is None:
            out.append(Observation(i + 1, lineage, "failed", None, model=model))
        else:
            out.append(Observation(i + 1, lineage, "completed", transform(outcome), lr=1e-3, model=model))
    return out


@settings(max_examples=400, deadline=None)
@given(histories, st.sampled_from([1 / 1024, 0.25, 2.0, 1024.0]), st.integers(3, 20))
def test_recommendations_do_not_depend_on_unit_or_direction(raw: list, factor: float, budget: int) -> None:
    kwargs = {"budget_runs": budget, "known_models": ("mlp", "cnn1d", "resnet1d"), "max_tier": 2}
    base = assess(build(raw), mode="min", **kwargs)  # type: ignore[arg-type]
    scaled = assess(build(raw, lambda v: v * factor), mode="min", **kwargs)  # type: ignore[arg-type]
    flipped = assess(build(raw, lambda v: -v), mode="max", **kwargs)  # type: ignore[arg-type]
    assert base.action == scaled.action == flipped.action
    assert (
        [f.kind for f in base.findings]
        == [f.kind for f in scaled.findings]
        == [f.kind for f in flipped.findings]
    )
    for key in ("gain", "lineage_gain", "worsening"):
        if key in base.evidence:
            assert scaled.evidence[key] == pytest.approx(base.evidence[key], rel=1e-9, abs=1e-9)
            assert flipped.evidence[key] == pytest.approx(base.evidence[key], rel=1e-9, abs=1e-9)


def test_observations_and_assess_campaign_from_the_store(tmp_path: Path) -> None:
    with FeedbackStore(tmp_path / "f.db") as store:
        campaign = store.create_campaign(load_goal("digits:quick"), seed=0, campaign_id="camp")

        def finish(overrides: dict, status: str, acc: float | None, **kw: object) -> None:
            p = store.add_proposal(
                "camp", tier=1, brain="strategist", overrides=overrides, rationale="r", **kw
            )  # type: ignore[arg-type]
            store.record_validation(p.id, True)
            store.record_approval(p.id, "approved", "auto")
            claim = store.claim_next("camp")
            assert claim is not None
            store._db.conn.execute("UPDATE runs SET initial_lr = 0.002 WHERE run_id = ?", (claim.run.run_id,))
            store.record_run(claim.run.run_id, status)
            if acc is not None:
                store._db.conn.execute(
                    "INSERT INTO run_metrics (run_pk, which, key, value, epoch, step)"
                    " VALUES (?, 'best', 'val/acc', ?, 0, 1)",
                    (claim.run.id, acc),
                )

        finish({"trainer.lr": 0.01, "model": "mlp"}, "completed", 0.90)
        finish({"model": "cnn1d"}, "diverged", 0.95)
        finish({"trainer.lr": 0.003}, "completed", 0.93, model_ref="generated.net.Net")
        rejected = store.add_proposal("camp", tier=1, brain="strategist", overrides={}, rationale="r")
        store.record_validation(rejected.id, False, reason="no")

        obs = observations(store.history(campaign.id), "val/acc")
        assert [(o.seq, o.status, o.value, o.lr, o.model) for o in obs] == [
            (1, "completed", 0.90, 0.01, "mlp"),
            (2, "diverged", None, 0.002, "cnn1d"),  # a diverged run's best is not trusted
            (3, "completed", 0.93, 0.003, "generated.net.Net"),
        ]  # the validator rejection never ran, so it is no evidence
        rec = assess_campaign(store, campaign.id)
        assert (
            rec.action == "continue" and rec.evidence["best"] == 0.93 and rec.evidence["budget_runs"] == 5.0
        )
        assert rec.untried_models == ()  # digits:quick lists mlp and cnn1d: both tried


def test_an_escalation_recommendation_can_be_recorded_as_is(tmp_path: Path) -> None:
    obs = roots(5.0, 4.0, model="mlp") + roots(4.1, 4.2, 4.05, start=3, model="cnn1d")
    rec = assess(obs, mode="min", budget_runs=20, max_tier=3, known_models=("mlp", "cnn1d"))
    assert rec.action == "escalate" and rec.to_tier == 2
    with FeedbackStore(tmp_path / "f.db") as store:
        store.create_campaign(load_goal("ppg:hr_optimize"), seed=0, campaign_id="camp")
        esc = store.record_escalation("camp", rec.to_tier, rec.reason, rec.evidence, from_tier=1)
        assert dict(esc.evidence) == dict(rec.evidence) and esc.reason == rec.reason
